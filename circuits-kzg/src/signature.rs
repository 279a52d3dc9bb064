//! ECDSA over secp256k1 with the signed message bound to the transaction's fields.
