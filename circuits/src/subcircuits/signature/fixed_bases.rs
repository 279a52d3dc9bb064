//! The fixed base `G` of zkpar's Schnorr signatures, and the window tables the ECC gadget's
//! fixed-base multiplication needs for it.
//!
//! `G = hash_to_curve("zkpar:schnorr")(b"G")`: a nothing-up-my-sleeve point, so nobody knows its
//! discrete log with respect to Pallas's standard generator.
//!
//! The gadget multiplies a fixed base in 85 three-bit windows. For each window `w` it needs
//! - the Lagrange coefficients interpolating the x-coordinates of the window's 8 multiples
//!   (cheap: 85 × 8 scalar multiplications, computed once per process and cached), and
//! - a small `z_w` and eight `u_{w,k}` with `z_w + y_{w,k} = u_{w,k}²` and `z_w - y_{w,k}` a
//!   non-square, which pins down the y-coordinate of the selected multiple in-circuit.
//!
//! Finding `z_w` is a search over `z = 0, 1, 2, ...` that needs about 2¹⁶ candidates per window
//! (each of the 8 conditions holds with probability ~1/4), about 90 s of square roots on one
//! core. So, like Orchard's fixed bases, the `(z, u)` pairs are generated once by
//! [`halo2_gadgets::ecc::chip::find_zs_and_us`] into `generator_tables.rs` (the ignored test
//! `generator_tables_match_find_zs_and_us` regenerates and compares them) and checked against
//! `G` by a fast always-run test. Everything is decoded once per process into a [`OnceLock`].

use std::sync::OnceLock;

use ff::PrimeField;
use group::Curve;
use halo2_gadgets::ecc::chip::{
    compute_lagrange_coeffs, BaseFieldElem, FixedPoint, FullScalar, ShortScalar, H, NUM_WINDOWS,
};
use halo2_gadgets::ecc::FixedPoints;
use pasta_curves::arithmetic::CurveExt;
use pasta_curves::pallas;

#[path = "generator_tables.rs"]
mod generator_tables;

/// Domain separator of the hash-to-curve that derives [`generator`].
pub const GENERATOR_DOMAIN: &str = "zkpar:schnorr";
/// Message hashed to the curve (under [`GENERATOR_DOMAIN`]) to derive [`generator`].
pub const GENERATOR_MESSAGE: &[u8] = b"G";

/// The Schnorr base point `G`.
pub fn generator() -> pallas::Affine {
    static G: OnceLock<pallas::Affine> = OnceLock::new();
    *G.get_or_init(|| pallas::Point::hash_to_curve(GENERATOR_DOMAIN)(GENERATOR_MESSAGE).to_affine())
}

/// Decoded window tables of `G` for full-width fixed-base multiplication.
struct Tables {
    z: Vec<u64>,
    u: Vec<[[u8; 32]; H]>,
    lagrange: Vec<[pallas::Base; H]>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        // The stored tables are generated data checked by this module's tests; a decoding
        // failure here is a corrupted source file, not a runtime condition.
        assert_eq!(
            generator_tables::G_ZS_AND_US.len(),
            NUM_WINDOWS,
            "signature: generator_tables.rs must hold one (z, u) entry per window"
        );
        let (z, u) = generator_tables::G_ZS_AND_US
            .iter()
            .enumerate()
            .map(|(w, (z, us))| {
                let us = us.map(|hex| {
                    decode_base_repr(hex).unwrap_or_else(|| {
                        panic!("signature: generator_tables.rs window {w}: invalid u `{hex}`")
                    })
                });
                (*z, us)
            })
            .unzip();
        Tables {
            z,
            u,
            lagrange: compute_lagrange_coeffs(generator(), NUM_WINDOWS),
        }
    })
}

/// Parses 64 hex digits as the little-endian representation of a canonical base-field element.
fn decode_base_repr(hex: &str) -> Option<[u8; 32]> {
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut repr = [0u8; 32];
    for (byte, pair) in repr.iter_mut().zip(digits.chunks_exact(2)) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        *byte = (hi * 16 + lo) as u8;
    }
    // Reject non-canonical encodings: the gadget loads `u` with `from_repr`.
    bool::from(pallas::Base::from_repr(repr).is_some()).then_some(repr)
}

/// The fixed bases used by the signature circuit's ECC chip: only `G`, for full-width scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrFixedBases;

/// The base `G` as a full-width fixed base (the `[s]G` of the verification equation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrGenerator;

/// No fixed base is multiplied by a short signed scalar here. The ECC chip's trait bounds ask
/// for such a type, so this one is uninhabited: no value exists, so no code can use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoShortBase {}

/// No fixed base is multiplied by a base-field element here (uninhabited, like [`NoShortBase`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBaseFieldBase {}

impl FixedPoints<pallas::Affine> for SchnorrFixedBases {
    type FullScalar = SchnorrGenerator;
    type ShortScalar = NoShortBase;
    type Base = NoBaseFieldBase;
}

impl FixedPoint<pallas::Affine> for SchnorrGenerator {
    type FixedScalarKind = FullScalar;

    fn generator(&self) -> pallas::Affine {
        generator()
    }

    fn u(&self) -> Vec<[[u8; 32]; H]> {
        tables().u.clone()
    }

    fn z(&self) -> Vec<u64> {
        tables().z.clone()
    }

    // Overridden because the default recomputes 680 scalar multiplications on every call,
    // i.e. on every synthesis.
    fn lagrange_coeffs(&self) -> Vec<[pallas::Base; H]> {
        tables().lagrange.clone()
    }
}

impl FixedPoint<pallas::Affine> for NoShortBase {
    type FixedScalarKind = ShortScalar;

    fn generator(&self) -> pallas::Affine {
        match *self {}
    }

    fn u(&self) -> Vec<[[u8; 32]; H]> {
        match *self {}
    }

    fn z(&self) -> Vec<u64> {
        match *self {}
    }
}

impl FixedPoint<pallas::Affine> for NoBaseFieldBase {
    type FixedScalarKind = BaseFieldElem;

    fn generator(&self) -> pallas::Affine {
        match *self {}
    }

    fn u(&self) -> Vec<[[u8; 32]; H]> {
        match *self {}
    }

    fn z(&self) -> Vec<u64> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;
    use halo2_gadgets::ecc::chip::{find_zs_and_us, FIXED_BASE_WINDOW_SIZE};
    use pasta_curves::arithmetic::CurveAffine;

    /// Renders `generator_tables.rs` from `find_zs_and_us` (about 90 s on one core).
    fn render_generator_tables() -> String {
        let zs_and_us = find_zs_and_us(generator(), NUM_WINDOWS)
            .expect("find_zs_and_us found no z for some window of G");
        let mut out = String::new();
        out.push_str(
            "//! Window tables of the Schnorr base `G` (see `fixed_bases.rs`). Generated by\n\
             //! `ZKPAR_WRITE_TABLES=1 cargo test -p circuits generator_tables_match -- --ignored`;\n\
             //! do not edit.\n\n\
             /// Per window: `z` and the 8 `u`s, each `u` as the hex little-endian repr of an `Fp`.\n\
             pub(super) const G_ZS_AND_US: &[(u64, [&str; 8])] = &[\n",
        );
        for (z, us) in zs_and_us {
            out.push_str(&format!("    (\n        {z},\n        [\n"));
            for u in us {
                let hex: String = u.to_repr().iter().map(|b| format!("{b:02x}")).collect();
                out.push_str(&format!("            \"{hex}\",\n"));
            }
            out.push_str("        ],\n    ),\n");
        }
        out.push_str("];\n");
        out
    }

    #[test]
    #[ignore = "runs find_zs_and_us for 85 windows (~90 s)"]
    fn generator_tables_match_find_zs_and_us() {
        let rendered = render_generator_tables();
        if std::env::var_os("ZKPAR_WRITE_TABLES").is_some() {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/subcircuits/signature/generator_tables.rs"
            );
            std::fs::write(path, &rendered).expect("write generator_tables.rs");
        }
        assert_eq!(rendered, include_str!("generator_tables.rs"));
    }

    /// The multiples of `G` that window `w` selects, as the gadget defines them.
    fn window_points(w: usize) -> Vec<pallas::Affine> {
        let g = pallas::Point::from(generator());
        let h = pallas::Scalar::from(H as u64);
        (0..H as u64)
            .map(|k| {
                let scalar = if w + 1 < NUM_WINDOWS {
                    pallas::Scalar::from(k + 2) * h.pow([w as u64])
                } else {
                    let offset = (0..NUM_WINDOWS - 1).fold(pallas::Scalar::ZERO, |acc, j| {
                        acc + pallas::Scalar::from(2).pow([(FIXED_BASE_WINDOW_SIZE * j + 1) as u64])
                    });
                    pallas::Scalar::from(k) * h.pow([w as u64]) - offset
                };
                (g * scalar).to_affine()
            })
            .collect()
    }

    #[test]
    fn stored_zs_and_us_fit_the_generator() {
        let tables = tables();
        assert_eq!(tables.z.len(), NUM_WINDOWS);
        for w in 0..NUM_WINDOWS {
            let z = pallas::Base::from(tables.z[w]);
            for (k, point) in window_points(w).iter().enumerate() {
                let y = *point.coordinates().unwrap().y();
                let u = pallas::Base::from_repr(tables.u[w][k]).unwrap();
                assert_eq!(z + y, u.square(), "window {w}, multiple {k}: z + y != u^2");
                assert!(
                    bool::from((z - y).sqrt().is_none()),
                    "window {w}, multiple {k}: z - y is a square"
                );
            }
        }
    }

    #[test]
    fn generator_is_deterministic_and_not_the_standard_one() {
        use group::CurveAffine as _;
        let g = generator();
        assert_eq!(
            g,
            pallas::Point::hash_to_curve("zkpar:schnorr")(b"G").to_affine()
        );
        assert!(!bool::from(g.is_identity()));
        assert_ne!(g, pallas::Affine::generator());
    }

    #[test]
    fn hex_decoding_rejects_bad_input() {
        assert!(decode_base_repr("00").is_none());
        assert!(decode_base_repr(&"zz".repeat(32)).is_none());
        // p itself (non-canonical) must be rejected; p - 1 accepted.
        let minus_one = (-pallas::Base::ONE).to_repr();
        let hex: String = minus_one.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(decode_base_repr(&hex), Some(minus_one));
        assert!(decode_base_repr(&"ff".repeat(32)).is_none());
    }
}
