//! Byte encodings of what travels between tasks, and a framed list that lets a task read one
//! entry of a predecessor's output without decoding the rest. Field elements and curve points
//! go through `circuits_kzg::serde_fields` (canonical 32-byte encodings, checked on the way in).
//!
//! Task payloads are [`bincode`] over these adapters: compact, deterministic, and every decode
//! error names what could not be read.

use serde::de::DeserializeOwned;
use serde::Serialize;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fr;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "circuits_kzg::serde_fields::fr")]
        x: Fr,
        #[serde(with = "circuits_kzg::serde_fields::fr_vec")]
        xs: Vec<Fr>,
    }

    #[test]
    fn field_elements_round_trip_and_non_canonical_ones_are_rejected() {
        let s = Sample {
            x: Fr::from(7),
            xs: vec![Fr::from(1), -Fr::from(1)],
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
