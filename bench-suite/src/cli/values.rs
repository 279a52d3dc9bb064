//! Parsers of the values the command line takes: sizes, counts, percentages, policy names.

use scheduler::policy::PolicyName;

/// A policy by its name in `PolicyName` (previous, rayon, dag, heft).
pub fn parse_policy(input: &str) -> Result<PolicyName, String> {
    input.parse::<PolicyName>().map_err(|e| e.to_string())
}

/// Why a size string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Nothing given.
    #[error("empty size (expected e.g. `512MiB`, `2G` or `1000`)")]
    Empty,
    /// No leading digits or a malformed number.
    #[error("`{0}` does not start with a whole number (expected e.g. `512MiB`, `2G` or `1000`)")]
    Number(String),
    /// Unknown unit suffix.
    #[error("unknown unit `{unit}` in `{input}` (use B, K/KiB, M/MiB, G/GiB, T/TiB, or KB/MB/GB/TB for powers of 1000)")]
    Unit {
        /// The whole input.
        input: String,
        /// The suffix.
        unit: String,
    },
    /// A fractional number (sizes are whole numbers of a unit).
    #[error(
        "`{0}` has a fraction; give a whole number of a smaller unit (e.g. `1536MiB` for 1.5 GiB)"
    )]
    Fraction(String),
    /// The value does not fit in 64 bits.
    #[error("`{0}` is too large")]
    Overflow(String),
    /// Zero where a positive size is needed.
    #[error("size must be greater than zero")]
    Zero,
}

/// Parses a byte size: a whole number with an optional unit (case-insensitive, optional space).
///
/// `K`, `M`, `G`, `T` and `KiB`, `MiB`, `GiB`, `TiB` (and `Ki`, `Mi`, ...) are powers of 1024, as
/// memory budgets are usually meant; `KB`, `MB`, `GB`, `TB` are powers of 1000; `B` or no unit
/// is bytes. `parse_size("512MiB") == Ok(536_870_912)`, `parse_size("2G") == Ok(2_147_483_648)`,
/// `parse_size("1000") == Ok(1000)`.
pub fn parse_size(input: &str) -> Result<u64, SizeError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(SizeError::Empty);
    }
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits_end == 0 {
        return Err(SizeError::Number(input.to_string()));
    }
    let number: u64 = s[..digits_end]
        .parse()
        .map_err(|_| SizeError::Overflow(input.to_string()))?;
    let unit = s[digits_end..].trim();
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "ki" | "kib" => 1 << 10,
        "m" | "mi" | "mib" => 1 << 20,
        "g" | "gi" | "gib" => 1 << 30,
        "t" | "ti" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ if unit.starts_with('.') => return Err(SizeError::Fraction(input.to_string())),
        _ => {
            return Err(SizeError::Unit {
                input: input.to_string(),
                unit: unit.to_string(),
            })
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| SizeError::Overflow(input.to_string()))
}

/// [`parse_size`], rejecting zero (a zero memory budget can never be met).
pub fn parse_nonzero_size(input: &str) -> Result<u64, SizeError> {
    match parse_size(input)? {
        0 => Err(SizeError::Zero),
        n => Ok(n),
    }
}

/// A positive count (threads, repetitions, processors).
pub fn parse_threads(input: &str) -> Result<usize, String> {
    match input.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{input}` is not a positive whole number")),
    }
}

/// A finite, non-negative percentage.
pub fn parse_pct(input: &str) -> Result<f64, String> {
    let trimmed = input.trim().trim_end_matches('%');
    match trimmed.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!("`{input}` is not a non-negative percentage")),
    }
}
