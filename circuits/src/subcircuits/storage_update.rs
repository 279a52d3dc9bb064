//! `storage_update`: one contract storage slot of the world-state tree changes.
//!
//! # Statement
//! Public inputs (one instance column, in this order):
//! `[old_root, new_root, contract, slot_index, old_value, new_value]`.
//!
//! The prover knows siblings such that, with `key = Poseidon(contract, slot_index)` computed in
//! circuit and the path bits = the low `depth − 1` bits of `key` followed by a top bit 1,
//! `old_value` hashes up to `old_root` and `new_value` up to `new_root` along that path. The
//! top bit 1 keeps storage in the right half of the tree, disjoint from accounts (see
//! [`crate::state::smt`]).
//!
//! # Soundness of the path bits, and the one canonicity caveat
//! The key is decomposed by a running sum into 254 boolean bits with `key = Σ bᵢ·2ⁱ` and the
//! final remainder constrained to 0. Because `Σ bᵢ·2ⁱ < 2^254 < p` (Pallas' modulus is
//! `2^254 + ε`), this sum cannot wrap around the field, so the bits are *the* canonical
//! binary digits of the key and the prover has no choice of path. (A shorter decomposition
//! with an unchecked high part would not be sound: since `p ≡ 1 (mod 2^32)`, the aliased
//! representation `key + p` would shift the low bits by one and let a prover write a
//! neighbouring slot.)
//!
//! The price: a key in `[2^254, p)` has no 254-bit decomposition and cannot be proved. Such
//! keys occur with probability `ε / p ≈ 2^-129` per slot, so they never arise in practice;
//! [`StorageUpdateCircuit::new`] reports one as an error rather than building an unprovable
//! circuit.
//!
//! # Layout
//! The [`MerkleChip`]: the key hash on the old-path chip, the 254-row decomposition, then per
//! level one swap row and one permutation per chip.

use super::merkle::{
    min_k, rows_used, KCache, MerkleChip, MerkleConfig, MerkleUpdateInstructions, PathBit, Side,
    WitnessError,
};
use super::SubCircuit;
use crate::state::smt::{
    storage_index_at, storage_slot_key, MerkleUpdateWitness, DEFAULT_DEPTH, MAX_DEPTH, MIN_DEPTH,
};
use crate::Fp;
use ff::PrimeField;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, Column, ConstraintSystem, Error, Instance};

/// Bits of the slot-key decomposition: the most that cannot wrap around the modulus.
pub const KEY_BITS: usize = 254;

/// Row of each public input in the instance column.
mod row {
    pub const OLD_ROOT: usize = 0;
    pub const NEW_ROOT: usize = 1;
    pub const CONTRACT: usize = 2;
    pub const SLOT: usize = 3;
    pub const OLD_VALUE: usize = 4;
    pub const NEW_VALUE: usize = 5;
    pub const COUNT: usize = 6;
}

/// Everything the prover knows about one storage write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUpdateWitness {
    /// The tree update (index = storage index of the slot key, leaves = old and new value).
    pub update: MerkleUpdateWitness,
    /// The contract's identifier.
    pub contract: Fp,
    /// The slot within the contract.
    pub slot_index: Fp,
}

/// Whether a slot key can be proved: its canonical value is below `2^254` (see the module docs;
/// false with probability about `2^-129`).
pub fn key_is_provable(key: Fp) -> bool {
    key.to_repr()[31] >> 6 == 0
}

/// The `storage_update` sub-circuit (see the module docs).
#[derive(Debug, Clone)]
pub struct StorageUpdateCircuit {
    depth: usize,
    /// `None` for a shape-only circuit (key generation).
    witness: Option<StorageUpdateWitness>,
}

impl StorageUpdateCircuit {
    /// A circuit for `witness`, after checking natively that it satisfies the statement.
    pub fn new(witness: StorageUpdateWitness) -> Result<Self, WitnessError> {
        let err = |reason: String| WitnessError::new(Self::NAME, reason);
        let u = &witness.update;
        Self::shape(u.depth)?;
        let key = storage_slot_key(witness.contract, witness.slot_index);
        if !key_is_provable(key) {
            return Err(err(
                "slot key Poseidon(contract, slot) is >= 2^254 and has no canonical 254-bit \
                 decomposition (probability 2^-129; pick another slot)"
                    .into(),
            ));
        }
        let expected = storage_index_at(u.depth, key).map_err(|e| err(e.to_string()))?;
        if u.index != expected {
            return Err(err(format!(
                "index {} is not the storage index {expected} of Poseidon(contract, slot)",
                u.index
            )));
        }
        u.verify().map_err(err)?;
        Ok(Self {
            depth: u.depth,
            witness: Some(witness),
        })
    }

    /// A shape-only circuit of the given tree depth, for key generation. Its
    /// [`public_inputs`](SubCircuit::public_inputs) are all zero.
    pub fn shape(depth: usize) -> Result<Self, WitnessError> {
        if !(MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
            return Err(WitnessError::new(
                Self::NAME,
                format!("tree depth {depth} is not in {MIN_DEPTH}..={MAX_DEPTH}"),
            ));
        }
        Ok(Self {
            depth,
            witness: None,
        })
    }

    /// The tree depth this circuit is shaped for.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Rows its layout uses (without halo2's blinding rows).
    pub fn rows(&self) -> usize {
        rows_used(&self.without_witnesses(), |c: &StorageConfig| {
            vec![c.merkle.constants()]
        })
        .expect("laying out a validated storage_update shape cannot fail")
    }
}

impl Default for StorageUpdateCircuit {
    /// The shape-only circuit at [`DEFAULT_DEPTH`].
    fn default() -> Self {
        Self::shape(DEFAULT_DEPTH).expect("DEFAULT_DEPTH is supported")
    }
}

/// Configuration of [`StorageUpdateCircuit`].
#[derive(Debug, Clone)]
pub struct StorageConfig {
    merkle: MerkleConfig,
    instance: Column<Instance>,
}

impl Circuit<Fp> for StorageUpdateCircuit {
    type Config = StorageConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            depth: self.depth,
            witness: None,
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> StorageConfig {
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        StorageConfig {
            merkle: MerkleChip::configure_fresh(meta),
            instance,
        }
    }

    fn synthesize(
        &self,
        config: StorageConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let mut chip = MerkleChip::construct(config.merkle.clone());
        chip.load(&mut layouter)?;
        let advice = config.merkle.advice();
        // Contract, slot and both values enter as copies of the instance cells.
        let public = layouter.assign_region(
            || "storage public inputs",
            |mut region| {
                (row::CONTRACT..row::COUNT)
                    .enumerate()
                    .map(|(i, r)| {
                        region.assign_advice_from_instance(
                            || "public",
                            config.instance,
                            r,
                            advice[i],
                            0,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()
            },
        )?;
        let [contract, slot, old_value, new_value] =
            <[_; 4]>::try_from(public).map_err(|_| Error::Synthesis)?;

        let key = chip.hash2(&mut layouter, Side::Old, &contract, &slot)?;
        let key_bits = chip.decompose(&mut layouter, &key, KEY_BITS)?;
        let mut bits: Vec<PathBit> = key_bits
            .into_iter()
            .take(self.depth - 1)
            .map(PathBit::Cell)
            .collect();
        // Top bit 1: the storage half of the tree.
        bits.push(PathBit::Constant(true));

        let siblings: Vec<Value<Fp>> = match &self.witness {
            Some(w) => w.update.siblings.iter().map(|s| Value::known(*s)).collect(),
            None => vec![Value::unknown(); self.depth],
        };
        let (old_root, new_root) =
            chip.update_roots(&mut layouter, &old_value, &new_value, &bits, &siblings)?;
        layouter.constrain_instance(old_root.cell(), config.instance, row::OLD_ROOT)?;
        layouter.constrain_instance(new_root.cell(), config.instance, row::NEW_ROOT)?;
        Ok(())
    }
}

impl SubCircuit for StorageUpdateCircuit {
    const NAME: &'static str = "storage_update";

    fn k(&self) -> u32 {
        static CACHE: KCache = KCache::new();
        CACHE.get_or_compute(self.depth, || {
            min_k(&self.without_witnesses(), |c: &StorageConfig| {
                vec![c.merkle.constants()]
            })
            .expect("laying out a validated storage_update shape cannot fail")
        })
    }

    fn public_inputs(&self) -> Vec<Vec<Fp>> {
        let mut public = vec![Fp::zero(); row::COUNT];
        if let Some(w) = &self.witness {
            public[row::OLD_ROOT] = w.update.old_root;
            public[row::NEW_ROOT] = w.update.new_root;
            public[row::CONTRACT] = w.contract;
            public[row::SLOT] = w.slot_index;
            public[row::OLD_VALUE] = w.update.old_leaf;
            public[row::NEW_VALUE] = w.update.new_leaf;
        }
        vec![public]
    }

    fn state_transition(&self) -> Option<(Fp, Fp)> {
        self.witness
            .as_ref()
            .map(|w| (w.update.old_root, w.update.new_root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::smt::{account_index_at, account_leaf, SparseMerkleTree};
    use ff::Field;
    use halo2_proofs::dev::MockProver;

    /// A tree with an account and a few slots; then slot `slot` of contract 42 goes 10 → 11.
    fn witness(depth: usize, slot: u64) -> StorageUpdateWitness {
        let contract = Fp::from(42);
        let mut tree = SparseMerkleTree::new(depth).unwrap();
        tree.update(account_index_at(depth, 3).unwrap(), account_leaf(100, 1))
            .unwrap();
        for other in [1u64, 2, 3] {
            let key = storage_slot_key(Fp::from(7), Fp::from(other));
            tree.update(storage_index_at(depth, key).unwrap(), Fp::from(other))
                .unwrap();
        }
        let index = storage_index_at(depth, storage_slot_key(contract, Fp::from(slot))).unwrap();
        tree.update(index, Fp::from(10)).unwrap();
        let update = tree.update(index, Fp::from(11)).unwrap();
        StorageUpdateWitness {
            update,
            contract,
            slot_index: Fp::from(slot),
        }
    }

    fn mock(circuit: &StorageUpdateCircuit, public: Vec<Fp>) -> Result<(), String> {
        MockProver::run(circuit.k(), circuit, vec![public])
            .map_err(|e| e.to_string())?
            .verify()
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn valid_update_is_accepted_at_k_and_k_minus_1_lacks_rows() {
        let circuit = StorageUpdateCircuit::new(witness(DEFAULT_DEPTH, 5)).unwrap();
        let k = circuit.k();
        assert_eq!(mock(&circuit, circuit.public_inputs()[0].clone()), Ok(()));
        let err = MockProver::run(k - 1, &circuit, circuit.public_inputs()).unwrap_err();
        assert!(
            matches!(err, Error::NotEnoughRowsAvailable { .. }),
            "k - 1 = {} should lack rows, got {err:?}",
            k - 1
        );
        assert!(circuit.rows() < 1 << k);
        let public = &circuit.public_inputs()[0];
        assert_eq!(circuit.state_transition(), Some((public[0], public[1])));
    }

    #[test]
    fn bad_public_inputs_are_rejected() {
        let circuit = StorageUpdateCircuit::new(witness(8, 4)).unwrap();
        let public = circuit.public_inputs()[0].clone();
        assert_eq!(mock(&circuit, public.clone()), Ok(()));
        let cases = [
            (row::OLD_ROOT, "wrong old root"),
            (row::NEW_ROOT, "wrong new root"),
            (row::CONTRACT, "wrong contract"),
            (row::SLOT, "wrong slot"),
            (row::OLD_VALUE, "wrong old value"),
            (row::NEW_VALUE, "wrong new value"),
        ];
        for (r, what) in cases {
            let mut wrong = public.clone();
            wrong[r] += Fp::ONE;
            assert!(mock(&circuit, wrong).is_err(), "{what} accepted");
        }
    }

    #[test]
    fn bad_witness_is_rejected_by_the_circuit_and_by_new() {
        let good = witness(8, 4);
        let public = StorageUpdateCircuit::new(good.clone())
            .unwrap()
            .public_inputs()[0]
            .clone();
        let mut w = good.clone();
        w.update.siblings[0] += Fp::ONE;
        assert!(StorageUpdateCircuit::new(w.clone()).is_err());
        // Bypass the native check: the constraints alone must reject the wrong sibling.
        let circuit = StorageUpdateCircuit {
            depth: 8,
            witness: Some(w),
        };
        assert!(mock(&circuit, public).is_err());

        // A slot whose index is claimed elsewhere (the path bits would not match the key).
        let mut w = good;
        w.slot_index += Fp::ONE;
        let e = StorageUpdateCircuit::new(w).unwrap_err();
        assert!(e.to_string().contains("not the storage index"), "{e}");
        assert!(StorageUpdateCircuit::shape(65).is_err());
    }

    #[test]
    fn same_leaves_and_siblings_under_another_slot_are_rejected() {
        // Replay the exact tree update but claim another slot: unless the two keys share their
        // low depth−1 bits, the in-circuit key decomposition walks another path.
        let good = witness(8, 4);
        let circuit = StorageUpdateCircuit {
            depth: 8,
            witness: Some(StorageUpdateWitness {
                slot_index: Fp::from(5),
                ..good.clone()
            }),
        };
        let other = storage_index_at(8, storage_slot_key(good.contract, Fp::from(5))).unwrap();
        assert_ne!(
            other, good.update.index,
            "pick slots with different indices"
        );
        assert!(mock(&circuit, circuit.public_inputs()[0].clone()).is_err());
        assert!(key_is_provable(storage_slot_key(
            good.contract,
            good.slot_index
        )));
        assert!(!key_is_provable(-Fp::ONE));
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = StorageUpdateCircuit::new(witness(DEFAULT_DEPTH, 9)).unwrap();
        let mut wrong = circuit.public_inputs();
        wrong[0][row::NEW_ROOT] += Fp::ONE;
        let size = crate::proving::round_trip(&circuit, &wrong).unwrap();
        assert!(size > 0);
    }
}
