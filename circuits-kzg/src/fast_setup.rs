//! The deterministic test set-up, computed about ten times faster than `ParamsKZG::setup`, with
//! the same bytes.
//!
//! `ParamsKZG::setup` computes each of its `2 · 2^k` points with a general scalar
//! multiplication (about 256 doublings and 128 additions). At `k = 18`, the aggregation
//! circuits' size, that took 76 s on the 2-core CI machine, in every fresh CI run and test
//! suite. Every point here is a multiple of the one generator `G`, so a fixed-base table does:
//! with `G · d · 2^(8w)` precomputed for each byte position `w` and byte value `d`, a
//! multiplication is at most 32 mixed additions.
//!
//! The secret `s` is drawn exactly as `ParamsKZG::setup` draws it (`Fr::random` on the ChaCha20
//! stream), and the points are the same: `g[i] = s^i · G` and
//! `g_lagrange[i] = (s^n - 1) / n · ω^i / (s - ω^i) · G`. A test checks the serialised
//! parameters are identical to `ParamsKZG::setup`'s, so cached files stay valid either way.

use halo2_base::halo2_proofs::{
    arithmetic::parallelize,
    halo2curves::{
        bn256::{Bn256, Fr, G1Affine, G2Affine, G1},
        ff::{Field, PrimeField},
        group::{prime::PrimeCurveAffine, Curve, Group},
    },
    poly::kzg::commitment::ParamsKZG,
};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

/// Bits per table window: 8 makes the table 32 × 256 points (512 KiB, built in milliseconds)
/// and a multiplication at most 32 additions.
const WINDOW_BITS: usize = 8;
const WINDOWS: usize = 256 / WINDOW_BITS;

/// `windows[w][d] = d · 2^(8w) · G`.
struct FixedBase {
    windows: Vec<Vec<G1Affine>>,
}

impl FixedBase {
    fn new(base: G1) -> Self {
        let mut windows = Vec::with_capacity(WINDOWS);
        let mut window_base = base;
        for _ in 0..WINDOWS {
            let mut row = Vec::with_capacity(1 << WINDOW_BITS);
            let mut acc = G1::identity();
            for _ in 0..(1 << WINDOW_BITS) {
                row.push(acc);
                acc += window_base;
            }
            let mut affine = vec![G1Affine::identity(); row.len()];
            G1::batch_normalize(&row, &mut affine);
            windows.push(affine);
            for _ in 0..WINDOW_BITS {
                window_base = window_base.double();
            }
        }
        FixedBase { windows }
    }

    fn mul(&self, scalar: &Fr) -> G1 {
        // bn256's Fr serialises little-endian: byte w holds bits 8w..8w+8.
        let repr = scalar.to_repr();
        let mut acc = G1::identity();
        for (window, &byte) in self.windows.iter().zip(repr.as_ref()) {
            if byte != 0 {
                acc += window[byte as usize];
            }
        }
        acc
    }
}

/// `ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::from_seed(seed))`, computed with a fixed-base
/// table.
pub(crate) fn setup(k: u32, seed: [u8; 32]) -> ParamsKZG<Bn256> {
    assert!(k <= Fr::S, "k = {k} is above the field's two-adicity");
    let n = 1usize << k;
    let s = Fr::random(ChaCha20Rng::from_seed(seed));
    let generator: G1 = G1Affine::generator().into();
    let table = FixedBase::new(generator);

    let mut g_projective = vec![G1::identity(); n];
    parallelize(&mut g_projective, |chunk, start| {
        let mut power = s.pow_vartime([start as u64]);
        for g in chunk.iter_mut() {
            *g = table.mul(&power);
            power *= s;
        }
    });

    let mut root = Fr::ROOT_OF_UNITY_INV.invert().unwrap();
    for _ in k..Fr::S {
        root = root.square();
    }
    let n_inv = Fr::from(n as u64).invert().unwrap();
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * n_inv;
    let mut lagrange_projective = vec![G1::identity(); n];
    parallelize(&mut lagrange_projective, |chunk, start| {
        let mut root_pow = root.pow_vartime([start as u64]);
        for g in chunk.iter_mut() {
            let scalar = multiplier * root_pow * (s - root_pow).invert().unwrap();
            *g = table.mul(&scalar);
            root_pow *= root;
        }
    });

    let normalize = |points: &[G1]| {
        let mut affine = vec![G1Affine::identity(); points.len()];
        parallelize(&mut affine, |chunk, start| {
            G1::batch_normalize(&points[start..start + chunk.len()], chunk);
        });
        affine
    };
    let g = normalize(&g_projective);
    drop(g_projective);
    let g_lagrange = normalize(&lagrange_projective);
    drop(lagrange_projective);
    let g2 = G2Affine::generator();
    let s_g2 = (g2 * s).to_affine();
    // `from_parts` is a method: any parameters will do as the receiver, k = 1 costs nothing.
    ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::from_seed([0; 32])).from_parts(
        k,
        g,
        Some(g_lagrange),
        g2,
        s_g2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_base::halo2_proofs::poly::commitment::Params;

    fn bytes(params: &ParamsKZG<Bn256>) -> Vec<u8> {
        let mut out = Vec::new();
        params.write(&mut out).unwrap();
        out
    }

    #[test]
    fn the_fast_setup_is_byte_identical_to_halo2s() {
        let seed = *b"a seed for the fast-setup test!!";
        for k in [1, 4, 7, 9] {
            let slow = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::from_seed(seed));
            assert_eq!(bytes(&setup(k, seed)), bytes(&slow), "k = {k}");
        }
    }

    #[test]
    fn a_different_seed_gives_different_parameters() {
        assert_ne!(bytes(&setup(4, [1; 32])), bytes(&setup(4, [2; 32])));
    }
}
