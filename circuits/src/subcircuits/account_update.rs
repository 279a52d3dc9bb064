//! `account_update`: one account leaf of the world-state tree changes.
//!
//! # Statement
//! Public inputs (one instance column, in this order):
//! `[old_root, new_root, account_index, old_balance, old_nonce, new_balance, new_nonce]`.
//!
//! The prover knows siblings such that, along the path whose bits are the binary digits of
//! `account_index`,
//! - `Poseidon(old_balance, old_nonce)` hashes up to `old_root`, and
//! - `Poseidon(new_balance, new_nonce)` hashes up to `new_root`.
//!
//! The leaves are computed in circuit from the public balance and nonce, so the roots commit to
//! exactly those values. The low `depth − 1` path bits come from a running-sum decomposition of
//! `account_index` (which also proves `account_index < 2^(depth−1)`); the top bit is the
//! constant 0, which keeps every account in the left half of the tree, disjoint from storage
//! (see [`crate::state::smt`]). Balances and nonces are not range-checked here: the balance
//! sub-circuit owns arithmetic on them.
//!
//! # Layout
//! The [`MerkleChip`] (two Poseidon chips side by side): one leaf hash per chip, a
//! `(depth − 1)`-row decomposition, then per level one swap row and one permutation per chip.

use super::merkle::{
    min_k, rows_used, KCache, MerkleChip, MerkleConfig, MerkleUpdateInstructions, PathBit, Side,
    WitnessError,
};
use super::SubCircuit;
use crate::state::smt::{account_leaf, MerkleUpdateWitness, DEFAULT_DEPTH, MAX_DEPTH, MIN_DEPTH};
use crate::Fp;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, Column, ConstraintSystem, Error, Instance};

/// Row of each public input in the instance column.
mod row {
    pub const OLD_ROOT: usize = 0;
    pub const NEW_ROOT: usize = 1;
    pub const INDEX: usize = 2;
    pub const OLD_BALANCE: usize = 3;
    pub const OLD_NONCE: usize = 4;
    pub const NEW_BALANCE: usize = 5;
    pub const NEW_NONCE: usize = 6;
    pub const COUNT: usize = 7;
}

/// Everything the prover knows about one account update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdateWitness {
    /// The tree update (index = account index, leaves = account leaves).
    pub update: MerkleUpdateWitness,
    /// Balance before.
    pub old_balance: u64,
    /// Nonce before.
    pub old_nonce: u64,
    /// Balance after.
    pub new_balance: u64,
    /// Nonce after.
    pub new_nonce: u64,
}

/// The `account_update` sub-circuit (see the module docs).
#[derive(Debug, Clone)]
pub struct AccountUpdateCircuit {
    depth: usize,
    /// `None` for a shape-only circuit (key generation).
    witness: Option<AccountUpdateWitness>,
}

impl AccountUpdateCircuit {
    /// A circuit for `witness`, after checking natively that it satisfies the statement (so a
    /// bad witness is reported here, by name, rather than as an unsatisfied constraint).
    pub fn new(witness: AccountUpdateWitness) -> Result<Self, WitnessError> {
        let err = |reason: String| WitnessError::new(Self::NAME, reason);
        let u = &witness.update;
        Self::shape(u.depth)?;
        if u.index >= 1u64 << (u.depth - 1) {
            return Err(err(format!(
                "index {} is not in the account half of a depth-{} tree",
                u.index, u.depth
            )));
        }
        if u.old_leaf != account_leaf(witness.old_balance, witness.old_nonce) {
            return Err(err(
                "old leaf is not Poseidon(old_balance, old_nonce)".into()
            ));
        }
        if u.new_leaf != account_leaf(witness.new_balance, witness.new_nonce) {
            return Err(err(
                "new leaf is not Poseidon(new_balance, new_nonce)".into()
            ));
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
        rows_used(&self.without_witnesses(), |c: &AccountConfig| {
            vec![c.merkle.constants()]
        })
        .expect("laying out a validated account_update shape cannot fail")
    }
}

impl Default for AccountUpdateCircuit {
    /// The shape-only circuit at [`DEFAULT_DEPTH`].
    fn default() -> Self {
        Self::shape(DEFAULT_DEPTH).expect("DEFAULT_DEPTH is supported")
    }
}

/// Configuration of [`AccountUpdateCircuit`].
#[derive(Debug, Clone)]
pub struct AccountConfig {
    merkle: MerkleConfig,
    instance: Column<Instance>,
}

impl Circuit<Fp> for AccountUpdateCircuit {
    type Config = AccountConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            depth: self.depth,
            witness: None,
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> AccountConfig {
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        AccountConfig {
            merkle: MerkleChip::configure_fresh(meta),
            instance,
        }
    }

    fn synthesize(
        &self,
        config: AccountConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let mut chip = MerkleChip::construct(config.merkle.clone());
        chip.load(&mut layouter)?;
        let advice = config.merkle.advice();
        // Index, balances and nonces enter as copies of the instance cells.
        let public = layouter.assign_region(
            || "account public inputs",
            |mut region| {
                (row::INDEX..row::COUNT)
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
        let [index, old_balance, old_nonce, new_balance, new_nonce] =
            <[_; 5]>::try_from(public).map_err(|_| Error::Synthesis)?;

        let mut bits: Vec<PathBit> = chip
            .decompose(&mut layouter, &index, self.depth - 1)?
            .into_iter()
            .map(PathBit::Cell)
            .collect();
        // Top bit 0: the account half of the tree.
        bits.push(PathBit::Constant(false));

        let old_leaf = chip.hash2(&mut layouter, Side::Old, &old_balance, &old_nonce)?;
        let new_leaf = chip.hash2(&mut layouter, Side::New, &new_balance, &new_nonce)?;
        let siblings: Vec<Value<Fp>> = match &self.witness {
            Some(w) => w.update.siblings.iter().map(|s| Value::known(*s)).collect(),
            None => vec![Value::unknown(); self.depth],
        };
        let (old_root, new_root) =
            chip.update_roots(&mut layouter, &old_leaf, &new_leaf, &bits, &siblings)?;
        layouter.constrain_instance(old_root.cell(), config.instance, row::OLD_ROOT)?;
        layouter.constrain_instance(new_root.cell(), config.instance, row::NEW_ROOT)?;
        Ok(())
    }
}

impl SubCircuit for AccountUpdateCircuit {
    const NAME: &'static str = "account_update";

    fn k(&self) -> u32 {
        static CACHE: KCache = KCache::new();
        CACHE.get_or_compute(self.depth, || {
            min_k(&self.without_witnesses(), |c: &AccountConfig| {
                vec![c.merkle.constants()]
            })
            .expect("laying out a validated account_update shape cannot fail")
        })
    }

    fn public_inputs(&self) -> Vec<Vec<Fp>> {
        let mut public = vec![Fp::zero(); row::COUNT];
        if let Some(w) = &self.witness {
            public[row::OLD_ROOT] = w.update.old_root;
            public[row::NEW_ROOT] = w.update.new_root;
            public[row::INDEX] = Fp::from(w.update.index);
            public[row::OLD_BALANCE] = Fp::from(w.old_balance);
            public[row::OLD_NONCE] = Fp::from(w.old_nonce);
            public[row::NEW_BALANCE] = Fp::from(w.new_balance);
            public[row::NEW_NONCE] = Fp::from(w.new_nonce);
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
    use crate::state::smt::{account_index_at, storage_index_at, SparseMerkleTree};
    use ff::Field;
    use halo2_proofs::dev::MockProver;

    /// A tree with a few accounts, then account `id` goes from (balance 500, nonce 3) to
    /// (balance 450, nonce 4).
    fn witness(depth: usize, id: u64) -> AccountUpdateWitness {
        let mut tree = SparseMerkleTree::new(depth).unwrap();
        for other in [1u64, 2, 9] {
            tree.update(
                account_index_at(depth, other).unwrap(),
                account_leaf(other * 10, 0),
            )
            .unwrap();
        }
        // One storage-half leaf too.
        tree.update(
            storage_index_at(depth, Fp::from(5)).unwrap(),
            Fp::from(1234),
        )
        .unwrap();
        let index = account_index_at(depth, id).unwrap();
        tree.update(index, account_leaf(500, 3)).unwrap();
        let update = tree.update(index, account_leaf(450, 4)).unwrap();
        AccountUpdateWitness {
            update,
            old_balance: 500,
            old_nonce: 3,
            new_balance: 450,
            new_nonce: 4,
        }
    }

    fn mock(circuit: &AccountUpdateCircuit, public: Vec<Fp>) -> Result<(), String> {
        MockProver::run(circuit.k(), circuit, vec![public])
            .map_err(|e| e.to_string())?
            .verify()
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn valid_update_is_accepted_at_k_and_k_minus_1_lacks_rows() {
        let circuit = AccountUpdateCircuit::new(witness(DEFAULT_DEPTH, 7)).unwrap();
        let k = circuit.k();
        assert_eq!(mock(&circuit, circuit.public_inputs()[0].clone()), Ok(()));
        let err = MockProver::run(k - 1, &circuit, circuit.public_inputs()).unwrap_err();
        assert!(
            matches!(err, Error::NotEnoughRowsAvailable { .. }),
            "k - 1 = {} should lack rows, got {err:?}",
            k - 1
        );
        assert!(circuit.rows() < 1 << k);
        assert_eq!(
            circuit.state_transition(),
            Some((circuit.public_inputs()[0][0], circuit.public_inputs()[0][1]))
        );
    }

    #[test]
    fn bad_public_inputs_are_rejected() {
        let circuit = AccountUpdateCircuit::new(witness(8, 5)).unwrap();
        let public = circuit.public_inputs()[0].clone();
        assert_eq!(mock(&circuit, public.clone()), Ok(()));
        let cases = [
            (row::OLD_ROOT, "wrong old root"),
            (row::NEW_ROOT, "wrong new root"),
            (row::INDEX, "wrong account index"),
            (row::OLD_BALANCE, "wrong old balance"),
            (row::OLD_NONCE, "wrong old nonce"),
            (row::NEW_BALANCE, "wrong new balance"),
            (row::NEW_NONCE, "wrong new nonce"),
        ];
        for (r, what) in cases {
            let mut wrong = public.clone();
            wrong[r] += Fp::ONE;
            assert!(mock(&circuit, wrong).is_err(), "{what} accepted");
        }
        // An index in the storage half (top bit set) cannot pass the decomposition.
        let mut wrong = public.clone();
        wrong[row::INDEX] += Fp::from(1 << 7);
        assert!(
            mock(&circuit, wrong).is_err(),
            "storage-half index accepted"
        );
    }

    #[test]
    fn bad_witness_is_rejected_by_the_circuit_and_by_new() {
        let good = witness(8, 5);
        let mut w = good.clone();
        w.update.siblings[3] += Fp::ONE;
        assert!(AccountUpdateCircuit::new(w.clone()).is_err());
        // Bypass the native check: the constraints alone must reject the wrong sibling.
        let circuit = AccountUpdateCircuit {
            depth: 8,
            witness: Some(w),
        };
        assert!(mock(&circuit, good_public(&good)).is_err());

        let mut w = good.clone();
        w.new_balance += 1;
        let e = AccountUpdateCircuit::new(w).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("account_update: invalid witness: new leaf"),
            "{e}"
        );
        let mut w = good;
        w.update.index |= 1 << 7;
        assert!(AccountUpdateCircuit::new(w).is_err());
        assert!(AccountUpdateCircuit::shape(1).is_err());
    }

    fn good_public(w: &AccountUpdateWitness) -> Vec<Fp> {
        AccountUpdateCircuit::new(w.clone())
            .unwrap()
            .public_inputs()[0]
            .clone()
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = AccountUpdateCircuit::new(witness(DEFAULT_DEPTH, 3)).unwrap();
        let mut wrong = circuit.public_inputs();
        wrong[0][row::NEW_ROOT] += Fp::ONE;
        let size = crate::proving::round_trip(&circuit, &wrong).unwrap();
        assert!(size > 0);
    }
}
