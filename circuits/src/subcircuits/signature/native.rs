//! Native (out-of-circuit) Schnorr signatures over Pallas, matching the signature circuit.
//!
//! - Key: `sk ∈ F_q \ {0}`, `PK = [sk]G` with `G` the [fixed base](super::fixed_bases::generator).
//! - Sign `msg ∈ F_p`: random nonce `k ∈ F_q \ {0}`, `R = [k]G`,
//!   `c = Poseidon(R.x, R.y, PK.x, PK.y, msg)` (P128Pow5T3, `ConstantLength<5>`),
//!   `s = k + c·sk` in `F_q`. The signature is `(R, s)`.
//! - Verify: `[s]G = R + [c]PK`, with `R` and `PK` not the identity (the circuit witnesses
//!   both as non-identity points).
//!
//! The challenge `c` lives in the base field `F_p`, while scalars live in `F_q`. Pallas has
//! `p < q`, so `c`'s integer value is already a canonical element of `F_q`
//! ([`challenge_scalar`]); the ECC gadget's variable-base multiplication by a base-field cell
//! multiplies by that same integer.

use ff::{Field, FromUniformBytes, PrimeField};
use group::{Curve, CurveAffine as _};
use halo2_gadgets::poseidon::primitives::{self as poseidon, ConstantLength, P128Pow5T3};
use pasta_curves::arithmetic::CurveAffine;
use pasta_curves::pallas;
use rand_core::Rng;

use super::fixed_bases::generator;
use super::SignatureError;
use crate::Fp;

/// Personalisation of the Blake2b hash that derives keys from seeds (16 bytes, Blake2b's limit).
const SEED_PERSONALIZATION: &[u8; 16] = b"zkpar_schnorr_sk";

/// The affine coordinates of `p`, with the identity as `(0, 0)` (the ECC gadget's encoding).
pub(super) fn coordinates(p: &pallas::Affine) -> (Fp, Fp) {
    Option::<pasta_curves::arithmetic::Coordinates<pallas::Affine>>::from(p.coordinates())
        .map_or((Fp::ZERO, Fp::ZERO), |c| (*c.x(), *c.y()))
}

/// Maps a base-field element to the scalar with the same integer value (exact since `p < q`).
pub fn challenge_scalar(c: Fp) -> pallas::Scalar {
    // Reducing a 512-bit little-endian integer mod q: for c < p < q this is c itself, and the
    // reduction cannot fail (unlike `from_repr`, which would need an unreachable `unwrap`).
    let mut wide = [0u8; 64];
    wide[..32].copy_from_slice(c.to_repr().as_ref());
    pallas::Scalar::from_uniform_bytes(&wide)
}

/// The Fiat–Shamir challenge `c = Poseidon(R.x, R.y, PK.x, PK.y, msg)`.
pub fn challenge(r: &pallas::Affine, pk: &PublicKey, msg: Fp) -> Fp {
    let (rx, ry) = coordinates(r);
    poseidon::Hash::<_, P128Pow5T3, ConstantLength<5>, 3, 2>::init().hash([
        rx,
        ry,
        pk.x(),
        pk.y(),
        msg,
    ])
}

/// A Schnorr signing key: a non-zero Pallas scalar. `Debug` does not print it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct SigningKey {
    #[serde(with = "crate::codec::scalar")]
    sk: pallas::Scalar,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A uniformly random signing key.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            sk: nonzero_scalar(|| pallas::Scalar::random(&mut *rng)),
        }
    }

    /// A signing key derived deterministically from `seed` (Blake2b-512, reduced mod q), for
    /// reproducible test accounts and datasets.
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut counter = 0u32;
        Self {
            sk: nonzero_scalar(|| {
                let hash = blake2b_simd::Params::new()
                    .hash_length(64)
                    .personal(SEED_PERSONALIZATION)
                    .to_state()
                    .update(seed)
                    .update(&counter.to_le_bytes())
                    .finalize();
                counter += 1;
                let mut wide = [0u8; 64];
                wide.copy_from_slice(hash.as_bytes());
                pallas::Scalar::from_uniform_bytes(&wide)
            }),
        }
    }

    /// The key from a raw scalar; `None` for zero (whose public key would be the identity).
    pub fn from_scalar(sk: pallas::Scalar) -> Option<Self> {
        (!bool::from(sk.is_zero())).then_some(Self { sk })
    }

    /// The public key `[sk]G`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey((generator() * self.sk).to_affine())
    }

    /// Signs `msg` (a field element, typically the Poseidon hash of a transaction's fields)
    /// with a fresh random nonce from `rng`.
    pub fn sign<R: Rng + ?Sized>(&self, msg: Fp, rng: &mut R) -> Signature {
        let k = nonzero_scalar(|| pallas::Scalar::random(&mut *rng));
        let r = (generator() * k).to_affine();
        let c = challenge(&r, &self.public_key(), msg);
        Signature {
            r,
            s: k + challenge_scalar(c) * self.sk,
        }
    }
}

/// Draws from `draw` until the result is non-zero (a probability-2⁻²⁵⁴ event per draw).
fn nonzero_scalar(mut draw: impl FnMut() -> pallas::Scalar) -> pallas::Scalar {
    loop {
        let x = draw();
        if !bool::from(x.is_zero()) {
            return x;
        }
    }
}

/// A Schnorr public key: a Pallas point other than the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pallas::Affine);

impl PublicKey {
    /// Wraps a point, rejecting the identity (which no signing key produces).
    pub fn from_affine(point: pallas::Affine) -> Result<Self, SignatureError> {
        if bool::from(point.is_identity()) {
            Err(SignatureError::IdentityPublicKey)
        } else {
            Ok(Self(point))
        }
    }

    /// The point.
    pub fn to_affine(&self) -> pallas::Affine {
        self.0
    }

    /// The affine x-coordinate (public input 0 of the circuit).
    pub fn x(&self) -> Fp {
        coordinates(&self.0).0
    }

    /// The affine y-coordinate (public input 1 of the circuit).
    pub fn y(&self) -> Fp {
        coordinates(&self.0).1
    }
}

/// A Schnorr signature `(R, s)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// The nonce commitment `R = [k]G`.
    #[serde(with = "crate::codec::point")]
    pub r: pallas::Affine,
    /// The response `s = k + c·sk`.
    #[serde(with = "crate::codec::scalar")]
    pub s: pallas::Scalar,
}

/// Checks `[s]G = R + [c]PK` with `c = challenge(R, PK, msg)`; rejects an identity `R`.
pub fn verify(pk: &PublicKey, msg: Fp, sig: &Signature) -> bool {
    if bool::from(sig.r.is_identity()) {
        return false;
    }
    let c = challenge_scalar(challenge(&sig.r, pk, msg));
    generator() * sig.s == pallas::Point::from(sig.r) + pk.0 * c
}
