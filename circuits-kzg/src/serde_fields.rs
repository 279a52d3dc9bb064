//! serde adapters for the field elements and points inside witnesses, so witnesses can travel
//! between tasks and machines (`#[serde(with = "...")]`).
//!
//! Every element is its canonical 32-byte little-endian representation; decoding rejects a
//! non-canonical encoding (a value at or above the modulus) and a point off the curve, so a
//! corrupted payload is an error instead of a silently different witness.

use halo2_base::halo2_proofs::halo2curves::{
    bn256::Fr,
    ff::PrimeField,
    secp256k1::{Fp, Fq, Secp256k1Affine},
    CurveAffine,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn repr_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let v = Vec::<u8>::deserialize(d)?;
    v.try_into()
        .map_err(|v: Vec<u8>| serde::de::Error::custom(format!("{} bytes, expected 32", v.len())))
}

fn to_bytes<F: PrimeField<Repr = [u8; 32]>>(x: &F) -> Vec<u8> {
    x.to_repr().to_vec()
}

fn from_bytes<'de, F: PrimeField<Repr = [u8; 32]>, D: Deserializer<'de>>(
    d: D,
    what: &str,
) -> Result<F, D::Error> {
    let bytes = repr_bytes(d)?;
    Option::from(F::from_repr(bytes))
        .ok_or_else(|| serde::de::Error::custom(format!("not a canonical {what}")))
}

/// A bn254 scalar ([`Fr`], the circuits' native field).
pub mod fr {
    use super::*;

    /// Serialises.
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        to_bytes(x).serialize(s)
    }

    /// Deserialises, rejecting non-canonical encodings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        from_bytes(d, "bn254 scalar")
    }
}

/// A list of bn254 scalars.
pub mod fr_vec {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct W(#[serde(with = "super::fr")] Fr);

    /// Serialises.
    pub fn serialize<S: Serializer>(xs: &[Fr], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(xs.iter().map(|x| W(*x)))
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
        Ok(Vec::<W>::deserialize(d)?.into_iter().map(|w| w.0).collect())
    }
}

/// Lists of bn254 scalars (public inputs: one list per instance column).
pub mod fr_columns {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct C(#[serde(with = "super::fr_vec")] Vec<Fr>);

    /// Serialises.
    pub fn serialize<S: Serializer>(cols: &[Vec<Fr>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(cols.iter().map(|c| C(c.clone())))
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Fr>>, D::Error> {
        Ok(Vec::<C>::deserialize(d)?.into_iter().map(|c| c.0).collect())
    }
}

/// A secp256k1 scalar ([`Fq`]: signature components, message hashes).
pub mod secp_scalar {
    use super::*;

    /// Serialises.
    pub fn serialize<S: Serializer>(x: &Fq, s: S) -> Result<S::Ok, S::Error> {
        to_bytes(x).serialize(s)
    }

    /// Deserialises, rejecting non-canonical encodings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fq, D::Error> {
        from_bytes(d, "secp256k1 scalar")
    }
}

/// A secp256k1 point as its affine coordinates (the identity and points off the curve are
/// rejected).
pub mod secp_point {
    use super::*;

    /// Serialises.
    pub fn serialize<S: Serializer>(p: &Secp256k1Affine, s: S) -> Result<S::Ok, S::Error> {
        let c = Option::<_>::from(p.coordinates())
            .ok_or_else(|| serde::ser::Error::custom("the identity has no coordinates"))?;
        let c: halo2_base::halo2_proofs::halo2curves::Coordinates<Secp256k1Affine> = c;
        (to_bytes(c.x()), to_bytes(c.y())).serialize(s)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Secp256k1Affine, D::Error> {
        let (x, y) = <(Vec<u8>, Vec<u8>)>::deserialize(d)?;
        let coord = |v: Vec<u8>| -> Result<Fp, D::Error> {
            let bytes: [u8; 32] = v
                .try_into()
                .map_err(|_| serde::de::Error::custom("a coordinate is not 32 bytes"))?;
            Option::from(Fp::from_repr(bytes))
                .ok_or_else(|| serde::de::Error::custom("not a canonical secp256k1 coordinate"))
        };
        let (x, y) = (coord(x)?, coord(y)?);
        Option::from(Secp256k1Affine::from_xy(x, y))
            .ok_or_else(|| serde::de::Error::custom("not a point on secp256k1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_base::halo2_proofs::halo2curves::group::Curve;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "fr")]
        x: Fr,
        #[serde(with = "fr_columns")]
        cols: Vec<Vec<Fr>>,
        #[serde(with = "secp_scalar")]
        s: Fq,
        #[serde(with = "secp_point")]
        p: Secp256k1Affine,
    }

    fn sample() -> Sample {
        Sample {
            x: Fr::from(7),
            cols: vec![vec![Fr::from(1), -Fr::from(1)], vec![]],
            s: -Fq::from(3),
            p: (Secp256k1Affine::generator() * Fq::from(5)).to_affine(),
        }
    }

    #[test]
    fn round_trips() {
        let json = serde_json::to_string(&sample()).unwrap();
        assert_eq!(serde_json::from_str::<Sample>(&json).unwrap(), sample());
    }

    #[test]
    fn rejects_non_canonical_scalars_and_points_off_the_curve() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["x"] = serde_json::json!(vec![0xffu8; 32]);
        let err = serde_json::from_value::<Sample>(v).unwrap_err().to_string();
        assert!(err.contains("not a canonical bn254 scalar"), "{err}");

        let mut v = serde_json::to_value(sample()).unwrap();
        let y = v["p"][1].as_array().unwrap().clone();
        let mut y: Vec<u8> = y.iter().map(|b| b.as_u64().unwrap() as u8).collect();
        y[0] ^= 1;
        v["p"][1] = serde_json::json!(y);
        let err = serde_json::from_value::<Sample>(v).unwrap_err().to_string();
        assert!(err.contains("not a point on secp256k1"), "{err}");
    }
}
