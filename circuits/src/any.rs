//! [`AnyCircuit`]: one enum over the six sub-circuits, so the pipeline, the key cache and the
//! bundle verifier can handle a mixed list of instances without generics everywhere.

use crate::kind::SubCircuitKind;
use crate::proving::{self, IpaParams, Pk};
use crate::subcircuits::account_update::{AccountUpdateCircuit, AccountUpdateWitness};
use crate::subcircuits::amm_swap::{AmmSwapCircuit, AmmSwapWitness};
use crate::subcircuits::balance::{BalanceCircuit, BalanceWitness};
use crate::subcircuits::event_log::{Event, EventLogCircuit};
use crate::subcircuits::signature::{SignatureCircuit, SignatureWitness};
use crate::subcircuits::storage_update::{StorageUpdateCircuit, StorageUpdateWitness};
use crate::subcircuits::SubCircuit;
use crate::Fp;
use halo2_proofs::plonk::Error;

/// A slot's witness once witness generation has run: everything a prove task needs to rebuild
/// the circuit, on this machine or another (the signature is signed; every other input is the
/// slot's input as executed). Circuits do not travel between tasks; their witnesses do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WitnessData {
    /// A signed transaction.
    Signature(SignatureWitness),
    /// An account leaf update.
    AccountUpdate(AccountUpdateWitness),
    /// A storage slot update.
    StorageUpdate(StorageUpdateWitness),
    /// Balance and nonce arithmetic.
    Balance(BalanceWitness),
    /// A constant-product swap.
    AmmSwap(AmmSwapWitness),
    /// An event to hash.
    EventLog(Event),
}

impl WitnessData {
    /// Builds the circuit, checking natively that the witness satisfies it.
    pub fn into_circuit(self) -> Result<AnyCircuit, String> {
        Ok(match self {
            WitnessData::Signature(w) => AnyCircuit::Signature(SignatureCircuit::new(w)),
            WitnessData::AccountUpdate(w) => {
                AnyCircuit::AccountUpdate(AccountUpdateCircuit::new(w).map_err(|e| e.to_string())?)
            }
            WitnessData::StorageUpdate(w) => {
                AnyCircuit::StorageUpdate(StorageUpdateCircuit::new(w).map_err(|e| e.to_string())?)
            }
            WitnessData::Balance(w) => {
                AnyCircuit::Balance(BalanceCircuit::new(&w).map_err(|e| e.to_string())?)
            }
            WitnessData::AmmSwap(w) => {
                AnyCircuit::AmmSwap(AmmSwapCircuit::new(&w).map_err(|e| e.to_string())?)
            }
            WitnessData::EventLog(e) => {
                AnyCircuit::EventLog(EventLogCircuit::new(&e).map_err(|e| e.to_string())?)
            }
        })
    }
}

/// One sub-circuit instance of any kind.
#[derive(Clone, Debug)]
pub enum AnyCircuit {
    /// A Schnorr signature check.
    Signature(SignatureCircuit),
    /// An account leaf update.
    AccountUpdate(AccountUpdateCircuit),
    /// A storage slot update.
    StorageUpdate(StorageUpdateCircuit),
    /// Balance and nonce arithmetic.
    Balance(BalanceCircuit),
    /// A constant-product swap.
    AmmSwap(AmmSwapCircuit),
    /// An event hash.
    EventLog(EventLogCircuit),
}

/// Runs `$body` with `$c` bound to the inner circuit, whatever its type.
macro_rules! on_inner {
    ($value:expr, $c:ident => $body:expr) => {
        match $value {
            AnyCircuit::Signature($c) => $body,
            AnyCircuit::AccountUpdate($c) => $body,
            AnyCircuit::StorageUpdate($c) => $body,
            AnyCircuit::Balance($c) => $body,
            AnyCircuit::AmmSwap($c) => $body,
            AnyCircuit::EventLog($c) => $body,
        }
    };
}

impl AnyCircuit {
    /// The witness-free circuit of a kind (for key generation and verification).
    pub fn shape(kind: SubCircuitKind, tree_depth: usize) -> Result<Self, String> {
        Ok(match kind {
            SubCircuitKind::Signature => AnyCircuit::Signature(SignatureCircuit::default()),
            SubCircuitKind::AccountUpdate => AnyCircuit::AccountUpdate(
                AccountUpdateCircuit::shape(tree_depth).map_err(|e| e.to_string())?,
            ),
            SubCircuitKind::StorageUpdate => AnyCircuit::StorageUpdate(
                StorageUpdateCircuit::shape(tree_depth).map_err(|e| e.to_string())?,
            ),
            SubCircuitKind::Balance => AnyCircuit::Balance(BalanceCircuit::shape()),
            SubCircuitKind::AmmSwap => AnyCircuit::AmmSwap(AmmSwapCircuit::shape()),
            SubCircuitKind::EventLog => AnyCircuit::EventLog(EventLogCircuit::default()),
        })
    }

    /// Which sub-circuit this is.
    pub fn kind(&self) -> SubCircuitKind {
        match self {
            AnyCircuit::Signature(_) => SubCircuitKind::Signature,
            AnyCircuit::AccountUpdate(_) => SubCircuitKind::AccountUpdate,
            AnyCircuit::StorageUpdate(_) => SubCircuitKind::StorageUpdate,
            AnyCircuit::Balance(_) => SubCircuitKind::Balance,
            AnyCircuit::AmmSwap(_) => SubCircuitKind::AmmSwap,
            AnyCircuit::EventLog(_) => SubCircuitKind::EventLog,
        }
    }

    /// The circuit's degree parameter.
    pub fn k(&self) -> u32 {
        on_inner!(self, c => c.k())
    }

    /// Public inputs, one vector per instance column.
    pub fn public_inputs(&self) -> Vec<Vec<Fp>> {
        on_inner!(self, c => c.public_inputs())
    }

    /// `(pre, post)` state roots, for sub-circuits that move the state.
    pub fn state_transition(&self) -> Option<(Fp, Fp)> {
        on_inner!(self, c => c.state_transition())
    }

    /// Key generation for this circuit's shape.
    pub fn keygen(&self, params: &IpaParams) -> Result<Pk, Error> {
        on_inner!(self, c => proving::keygen(params, c))
    }

    /// Proves this instance (halo2's inner parallelism runs on the caller's rayon pool).
    pub fn prove(
        &self,
        params: &IpaParams,
        pk: &Pk,
        rng: impl rand_core::Rng,
    ) -> Result<Vec<u8>, Error> {
        on_inner!(self, c => proving::prove(params, pk, c, rng))
    }

    /// MockProver check (tests and debugging): `Ok` when every constraint holds.
    pub fn mock_check(&self) -> Result<(), String> {
        on_inner!(self, c => {
            let prover = halo2_proofs::dev::MockProver::run(c.k(), c, c.public_inputs())
                .map_err(|e| format!("{e:?}"))?;
            prover.verify().map_err(|failures| format!("{} constraint failures, first: {:?}", failures.len(), failures.first()))
        })
    }
}
