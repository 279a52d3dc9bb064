//! The names of the sub-circuits, as written in `datasets/operations.toml` and in proof bundles.

use std::fmt;
use std::str::FromStr;

/// One of the six sub-circuit types.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SubCircuitKind {
    /// ECDSA over secp256k1 on the Poseidon hash of the transaction's fields (halo2-ecc).
    Signature,
    /// An account leaf update in the Poseidon sparse Merkle tree.
    AccountUpdate,
    /// A contract storage slot update in the same tree.
    StorageUpdate,
    /// Nonce and balance arithmetic with 64-bit range checks.
    Balance,
    /// Constant-product swap with a fee, 128-bit range checks.
    AmmSwap,
    /// Poseidon sponge over an event's topics and data.
    EventLog,
}

impl SubCircuitKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SubCircuitKind; 6] = [
        SubCircuitKind::Signature,
        SubCircuitKind::AccountUpdate,
        SubCircuitKind::StorageUpdate,
        SubCircuitKind::Balance,
        SubCircuitKind::AmmSwap,
        SubCircuitKind::EventLog,
    ];

    /// The stable name (`signature`, `account_update`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SubCircuitKind::Signature => "signature",
            SubCircuitKind::AccountUpdate => "account_update",
            SubCircuitKind::StorageUpdate => "storage_update",
            SubCircuitKind::Balance => "balance",
            SubCircuitKind::AmmSwap => "amm_swap",
            SubCircuitKind::EventLog => "event_log",
        }
    }
}

impl fmt::Display for SubCircuitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not one of the six sub-circuits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown sub-circuit `{0}` (known: signature, account_update, storage_update, balance, amm_swap, event_log)")]
pub struct UnknownSubCircuit(pub String);

impl FromStr for SubCircuitKind {
    type Err = UnknownSubCircuit;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubCircuitKind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| UnknownSubCircuit(s.to_string()))
    }
}
