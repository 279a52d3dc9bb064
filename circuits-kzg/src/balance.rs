//! Balance and nonce arithmetic of a transfer, with range checks.
