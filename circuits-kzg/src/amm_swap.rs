//! A constant-product swap with a fee.
