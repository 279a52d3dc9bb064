//! [`AnyCircuit`]: one enum over the six sub-circuits of `circuits_kzg`, so the pipeline, the key
//! cache and the bundle verifier can handle a mixed list of instances without generics everywhere.

use crate::kind::SubCircuitKind;
use crate::Fr;
use circuits_kzg::amm_swap::{AmmSwapCircuit, AmmSwapWitness};
use circuits_kzg::balance::{BalanceCircuit, BalanceWitness};
use circuits_kzg::event_log::{Event, EventLogCircuit};
use circuits_kzg::harness::{self, BaseCircuit, CircuitKeys};
use circuits_kzg::merkle::native::{
    account_index_at, account_leaf, storage_index_at, storage_slot_key,
};
use circuits_kzg::merkle::{
    AccountUpdateCircuit, AccountUpdateWitness, SparseMerkleTree, StorageUpdateCircuit,
    StorageUpdateWitness,
};
use circuits_kzg::params::{self as kzg, ProofError};
use circuits_kzg::signature::{self, SignedTransaction};
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Bn256;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// KZG parameters over bn256.
pub type Params = ParamsKZG<Bn256>;

/// A slot's witness once witness generation has run: everything a prove task needs to rebuild
/// the circuit, on this machine or another (the signature is signed; every other input is the
/// slot's input as executed). Circuits do not travel between tasks; their witnesses do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WitnessData {
    /// A signed transaction.
    Signature(SignedTransaction),
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
        let e = |e: &dyn std::fmt::Display| e.to_string();
        Ok(match self {
            WitnessData::Signature(w) => {
                if !w.is_valid() {
                    return Err("signature: the signature does not verify on the message".into());
                }
                AnyCircuit::Signature(w)
            }
            WitnessData::AccountUpdate(w) => {
                AnyCircuit::AccountUpdate(AccountUpdateCircuit::new(w).map_err(|x| e(&x))?)
            }
            WitnessData::StorageUpdate(w) => {
                AnyCircuit::StorageUpdate(StorageUpdateCircuit::new(w).map_err(|x| e(&x))?)
            }
            WitnessData::Balance(w) => {
                AnyCircuit::Balance(BalanceCircuit::new(&w).map_err(|x| e(&x))?)
            }
            WitnessData::AmmSwap(w) => {
                AnyCircuit::AmmSwap(AmmSwapCircuit::new(&w).map_err(|x| e(&x))?)
            }
            WitnessData::EventLog(ev) => {
                AnyCircuit::EventLog(Box::new(EventLogCircuit::new(&ev).map_err(|x| e(&x))?))
            }
        })
    }
}

/// One sub-circuit instance of any kind.
#[derive(Clone, Debug)]
pub enum AnyCircuit {
    /// ECDSA over secp256k1 on the Poseidon hash of the transaction's fields.
    Signature(SignedTransaction),
    /// An account leaf update.
    AccountUpdate(AccountUpdateCircuit),
    /// A storage slot update.
    StorageUpdate(StorageUpdateCircuit),
    /// Balance and nonce arithmetic.
    Balance(BalanceCircuit),
    /// A constant-product swap.
    AmmSwap(AmmSwapCircuit),
    /// An event hash (boxed: its fixed-width slots make it twice the size of the others).
    EventLog(Box<EventLogCircuit>),
}

/// Runs `$body` with `$c` bound to the inner halo2-base circuit (every kind but the signature,
/// which has its own layout), or `$sig` for the signature.
macro_rules! on_base {
    ($value:expr, $c:ident => $body:expr, $w:ident => $sig:expr) => {
        match $value {
            AnyCircuit::Signature($w) => $sig,
            AnyCircuit::AccountUpdate($c) => $body,
            AnyCircuit::StorageUpdate($c) => $body,
            AnyCircuit::Balance($c) => $body,
            AnyCircuit::AmmSwap($c) => $body,
            AnyCircuit::EventLog(boxed) => {
                let $c = &**boxed;
                $body
            }
        }
    };
}

/// Where a circuit's layout lands: its degree and the columns halo2-base chose for it.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Degree parameter (`2^k` rows).
    pub k: u32,
    /// The circuit's column configuration at `k`.
    pub config: BaseCircuitParams,
}

impl AnyCircuit {
    /// A circuit of `kind` with a fixed, honest sample witness: the shape for key generation
    /// and the cost model (every honest witness of a kind lays out the same shape at a given
    /// tree depth).
    pub fn shape(kind: SubCircuitKind, tree_depth: usize) -> Result<Self, String> {
        let tree = |e: &dyn std::fmt::Display| format!("{kind} sample at depth {tree_depth}: {e}");
        Ok(match kind {
            SubCircuitKind::Signature => AnyCircuit::Signature(signature::sample_witness()),
            SubCircuitKind::AccountUpdate => {
                let mut smt = SparseMerkleTree::new(tree_depth).map_err(|e| tree(&e))?;
                let index = account_index_at(tree_depth, 1).map_err(|e| tree(&e))?;
                smt.update(index, account_leaf(500, 3))
                    .map_err(|e| tree(&e))?;
                let update = smt
                    .update(index, account_leaf(450, 4))
                    .map_err(|e| tree(&e))?;
                AnyCircuit::AccountUpdate(
                    AccountUpdateCircuit::new(AccountUpdateWitness {
                        update,
                        old_balance: 500,
                        old_nonce: 3,
                        new_balance: 450,
                        new_nonce: 4,
                    })
                    .map_err(|e| tree(&e))?,
                )
            }
            SubCircuitKind::StorageUpdate => {
                let (contract, slot) = (Fr::from(42), Fr::from(1));
                let mut smt = SparseMerkleTree::new(tree_depth).map_err(|e| tree(&e))?;
                let index = storage_index_at(tree_depth, storage_slot_key(contract, slot))
                    .map_err(|e| tree(&e))?;
                smt.update(index, Fr::from(10)).map_err(|e| tree(&e))?;
                let update = smt.update(index, Fr::from(11)).map_err(|e| tree(&e))?;
                AnyCircuit::StorageUpdate(
                    StorageUpdateCircuit::new(StorageUpdateWitness {
                        update,
                        contract,
                        slot_index: slot,
                    })
                    .map_err(|e| tree(&e))?,
                )
            }
            SubCircuitKind::Balance => AnyCircuit::Balance(
                BalanceCircuit::new(&BalanceWitness {
                    sender_balance: 1_000,
                    sender_nonce: 0,
                    receiver_balance: 0,
                    amount: 10,
                    fee: 1,
                })
                .map_err(|e| tree(&e))?,
            ),
            SubCircuitKind::AmmSwap => AnyCircuit::AmmSwap(
                AmmSwapCircuit::new(&AmmSwapWitness {
                    reserve_in: 1_000_000,
                    reserve_out: 1_000_000,
                    amount_in: 1_000,
                    fee_bps: 30,
                })
                .map_err(|e| tree(&e))?,
            ),
            SubCircuitKind::EventLog => AnyCircuit::EventLog(Box::new(
                EventLogCircuit::new(&Event {
                    topics: vec![Fr::from(1)],
                    data: vec![Fr::from(2)],
                })
                .map_err(|e| tree(&e))?,
            )),
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

    /// Lays the circuit out (at its minimal `k`; the signature at its fixed
    /// [`signature::K`]) and reports the shape. Costs one synthesis.
    pub fn layout(&self) -> Layout {
        on_base!(self,
            c => {
                let k = harness::min_k(c);
                Layout { k, config: harness::builder(c, k).1 }
            },
            w => {
                let builder = signature::build_circuit(CircuitBuilderStage::Keygen, w, None);
                Layout { k: signature::K, config: builder.config_params.clone() }
            }
        )
    }

    /// Public inputs, one vector per instance column (every sub-circuit has one).
    pub fn public_inputs(&self) -> Vec<Vec<Fr>> {
        vec![on_base!(self, c => c.public_inputs(), w => w.public_inputs())]
    }

    /// `(pre, post)` state roots, for sub-circuits that move the state.
    pub fn state_transition(&self) -> Option<(Fr, Fr)> {
        match self {
            AnyCircuit::AccountUpdate(_) | AnyCircuit::StorageUpdate(_) => {
                let p = &self.public_inputs()[0];
                Some((p[0], p[1]))
            }
            _ => None,
        }
    }

    /// Key generation for this circuit's shape at `params.k()`.
    pub fn keygen(&self, params: &Params) -> Result<CircuitKeys, ProofError> {
        on_base!(self,
            c => harness::keygen(c, params),
            _w => {
                let keys = signature::keygen(params)?;
                Ok(CircuitKeys { pk: keys.pk, config: keys.config, break_points: keys.break_points })
            }
        )
    }

    /// Proves this instance (halo2's inner parallelism runs on the caller's rayon pool).
    pub fn prove(&self, params: &Params, keys: &CircuitKeys) -> Result<Vec<u8>, ProofError> {
        on_base!(self,
            c => harness::prove(c, params, keys),
            w => {
                let config = Some((keys.config.clone(), keys.break_points.clone()));
                let builder = signature::build_circuit(CircuitBuilderStage::Prover, w, config);
                kzg::prove(params, &keys.pk, builder, &[w.public_inputs()])
            }
        )
    }

    /// MockProver check (tests and debugging): `Ok` when every constraint holds.
    pub fn mock_check(&self) -> Result<(), String> {
        on_base!(self,
            c => harness::mock(c, c.public_inputs()),
            w => {
                let builder = signature::build_circuit(CircuitBuilderStage::Mock, w, None);
                MockProver::run(signature::K, &builder, vec![w.public_inputs()])
                    .map_err(|e| format!("signature: {e:?}"))?
                    .verify()
                    .map_err(|f| format!("signature: {} failures, first {:?}", f.len(), f.first()))
            }
        )
    }
}
