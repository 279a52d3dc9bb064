//! Byte encodings of what travels between tasks: serde adapters for field elements and curve
//! points (canonical 32-byte encodings, checked on the way in), and a framed list that lets a
//! task read one entry of a predecessor's output without decoding the rest.
//!
//! Task payloads are [`bincode`] over these adapters: compact, deterministic, and every decode
//! error names what could not be read.

use crate::Fp;
use ff::PrimeField;
use group::GroupEncoding;
use pasta_curves::pallas;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A payload that does not decode: names what was being read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode {what}: {message}")]
pub struct DecodeError {
    /// What was being decoded.
    pub what: String,
    /// Why not.
    pub message: String,
}

impl DecodeError {
    fn new(what: &str, message: impl ToString) -> Self {
        DecodeError {
            what: what.to_string(),
            message: message.to_string(),
        }
    }
}

/// Encodes a payload.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serialize(value).expect("task payloads are plain data and always serialise")
}

/// Decodes a payload; `what` names it in the error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, DecodeError> {
    if bytes.is_empty() {
        // An empty payload is never valid: a missing output must not pass for a default value.
        return Err(DecodeError::new(what, "empty payload"));
    }
    bincode::deserialize(bytes).map_err(|e| DecodeError::new(what, e))
}

/// A list of byte strings, each readable on its own: `count: u32`, `count` lengths (`u32`), then
/// the entries back to back.
pub fn frames_encode(entries: &[Vec<u8>]) -> Vec<u8> {
    let total: usize = entries.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(4 + 4 * entries.len() + total);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
    }
    for e in entries {
        out.extend_from_slice(e);
    }
    out
}

/// Entry `i` of a framed list, in O(i) without copying.
pub fn frames_get<'a>(bytes: &'a [u8], i: usize, what: &str) -> Result<&'a [u8], DecodeError> {
    let word = |at: usize| -> Result<usize, DecodeError> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
            .ok_or_else(|| DecodeError::new(what, "truncated frame table"))
    };
    let count = word(0)?;
    if i >= count {
        return Err(DecodeError::new(
            what,
            format!("entry {i} requested, {count} present"),
        ));
    }
    let table_end = 4usize
        .checked_add(
            count
                .checked_mul(4)
                .ok_or_else(|| DecodeError::new(what, "absurd count"))?,
        )
        .ok_or_else(|| DecodeError::new(what, "absurd count"))?;
    let mut start = table_end;
    for j in 0..i {
        start = start.saturating_add(word(4 + 4 * j)?);
    }
    let len = word(4 + 4 * i)?;
    bytes
        .get(start..start.saturating_add(len))
        .ok_or_else(|| DecodeError::new(what, format!("entry {i} runs past the end")))
}

fn repr_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let v: Vec<u8> = serde_bytes_vec(d)?;
    v.try_into()
        .map_err(|v: Vec<u8>| serde::de::Error::custom(format!("{} bytes, expected 32", v.len())))
}

fn serde_bytes_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    Vec::<u8>::deserialize(d)
}

/// serde adapter for [`Fp`]: its canonical little-endian encoding (non-canonical input rejected).
pub mod fp {
    use super::*;

    /// Serialises.
    pub fn serialize<S: Serializer>(x: &Fp, s: S) -> Result<S::Ok, S::Error> {
        x.to_repr().as_ref().to_vec().serialize(s)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fp, D::Error> {
        let bytes = repr_bytes(d)?;
        Option::from(Fp::from_repr(bytes))
            .ok_or_else(|| serde::de::Error::custom("not a canonical field element"))
    }
}

/// serde adapter for `Vec<Fp>`.
pub mod fp_vec {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct W(#[serde(with = "super::fp")] Fp);

    /// Serialises.
    pub fn serialize<S: Serializer>(xs: &[Fp], s: S) -> Result<S::Ok, S::Error> {
        xs.iter().map(|x| W(*x)).collect::<Vec<_>>().serialize(s)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fp>, D::Error> {
        Ok(Vec::<W>::deserialize(d)?.into_iter().map(|w| w.0).collect())
    }
}

/// serde adapter for `Vec<Vec<Fp>>` (public inputs, one vector per instance column).
pub mod fp_columns {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct C(#[serde(with = "super::fp_vec")] Vec<Fp>);

    /// Serialises.
    pub fn serialize<S: Serializer>(cols: &[Vec<Fp>], s: S) -> Result<S::Ok, S::Error> {
        cols.iter()
            .map(|c| C(c.clone()))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Fp>>, D::Error> {
        Ok(Vec::<C>::deserialize(d)?.into_iter().map(|c| c.0).collect())
    }
}

/// serde adapter for a Pallas scalar: canonical little-endian encoding.
pub mod scalar {
    use super::*;

    /// Serialises.
    pub fn serialize<S: Serializer>(x: &pallas::Scalar, s: S) -> Result<S::Ok, S::Error> {
        x.to_repr().as_ref().to_vec().serialize(s)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<pallas::Scalar, D::Error> {
        let bytes = repr_bytes(d)?;
        Option::from(pallas::Scalar::from_repr(bytes))
            .ok_or_else(|| serde::de::Error::custom("not a canonical scalar"))
    }
}

/// serde adapter for a Pallas point: its compressed encoding (points off the curve rejected).
pub mod point {
    use super::*;

    /// Serialises.
    pub fn serialize<S: Serializer>(p: &pallas::Affine, s: S) -> Result<S::Ok, S::Error> {
        p.to_bytes().as_ref().to_vec().serialize(s)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<pallas::Affine, D::Error> {
        let bytes = repr_bytes(d)?;
        Option::from(pallas::Affine::from_bytes(&bytes))
            .ok_or_else(|| serde::de::Error::custom("not a point on Pallas"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "fp")]
        x: Fp,
        #[serde(with = "fp_vec")]
        xs: Vec<Fp>,
    }

    #[test]
    fn field_elements_round_trip_and_non_canonical_ones_are_rejected() {
        let s = Sample {
            x: Fp::from(7),
            xs: vec![Fp::from(1), -Fp::from(1)],
        };
        let bytes = encode(&s);
        assert_eq!(decode::<Sample>(&bytes, "sample").unwrap(), s);
        let mut bad = bytes.clone();
        // The first element's top byte: all ones is above the modulus.
        bad[8 + 31] = 0xff;
        let e = decode::<Sample>(&bad, "sample").unwrap_err();
        assert!(e.to_string().contains("canonical"), "{e}");
        assert!(decode::<Sample>(&[], "sample")
            .unwrap_err()
            .to_string()
            .contains("empty payload"));
    }

    #[test]
    fn frames_are_read_one_at_a_time_and_bounds_are_checked() {
        let entries = vec![b"ab".to_vec(), Vec::new(), b"xyz".to_vec()];
        let bytes = frames_encode(&entries);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(frames_get(&bytes, i, "t").unwrap(), e.as_slice());
        }
        assert!(frames_get(&bytes, 3, "t").is_err());
        assert!(frames_get(&bytes[..bytes.len() - 1], 2, "t").is_err());
        assert!(frames_get(&[], 0, "t").is_err());
        assert!(frames_get(&u32::MAX.to_le_bytes(), 5, "t").is_err());
    }
}
