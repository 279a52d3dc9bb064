//! The account and storage leaf-update circuits on the MockProver: accepted at their minimal
//! `k` (and `k − 1` does not fit), every public input bound, bad witnesses rejected by the
//! constraints alone.

use circuits_kzg::harness::{assert_sound_at_min_k, mock, sizing, BaseCircuit};
use circuits_kzg::merkle::native::{
    account_index_at, account_leaf, storage_index_at, storage_slot_key,
};
use circuits_kzg::merkle::{
    account, row, storage, AccountUpdateCircuit, AccountUpdateWitness, SparseMerkleTree,
    StorageUpdateCircuit, StorageUpdateWitness, DEFAULT_DEPTH,
};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;

/// A tree with a few accounts and a slot; then account `id` goes from (500, 3) to (450, 4).
fn account_witness(depth: usize, id: u64) -> AccountUpdateWitness {
    let mut tree = SparseMerkleTree::new(depth).unwrap();
    for other in [1u64, 2, 9] {
        tree.update(
            account_index_at(depth, other).unwrap(),
            account_leaf(other * 10, 0),
        )
        .unwrap();
    }
    tree.update(
        storage_index_at(depth, Fr::from(5)).unwrap(),
        Fr::from(1234),
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

/// A tree with an account and a few slots; then slot `slot` of contract 42 goes 10 → 11.
fn storage_witness(depth: usize, slot: u64) -> StorageUpdateWitness {
    let contract = Fr::from(42);
    let mut tree = SparseMerkleTree::new(depth).unwrap();
    tree.update(account_index_at(depth, 3).unwrap(), account_leaf(100, 1))
        .unwrap();
    for other in [1u64, 2, 3] {
        let key = storage_slot_key(Fr::from(7), Fr::from(other));
        tree.update(storage_index_at(depth, key).unwrap(), Fr::from(other))
            .unwrap();
    }
    let index = storage_index_at(depth, storage_slot_key(contract, Fr::from(slot))).unwrap();
    tree.update(index, Fr::from(10)).unwrap();
    let update = tree.update(index, Fr::from(11)).unwrap();
    StorageUpdateWitness {
        update,
        contract,
        slot_index: Fr::from(slot),
    }
}

#[test]
fn account_update_at_depth_32_fits_its_minimal_k_and_binds_every_input() {
    let circuit = AccountUpdateCircuit::new(account_witness(DEFAULT_DEPTH, 7)).unwrap();
    let cases = [
        (row::OLD_ROOT, "wrong old root"),
        (row::NEW_ROOT, "wrong new root"),
        (account::row::INDEX, "wrong account index"),
        (account::row::OLD_BALANCE, "wrong old balance"),
        (account::row::OLD_NONCE, "wrong old nonce"),
        (account::row::NEW_BALANCE, "wrong new balance"),
        (account::row::NEW_NONCE, "wrong new nonce"),
    ];
    let (s, k) = assert_sound_at_min_k(&circuit, &cases);
    println!("account_update depth 32: k = {k}, {:?}", s.cells);
    // An index in the storage half cannot pass the (depth − 1)-bit decomposition.
    let mut wrong = circuit.public_inputs();
    wrong[account::row::INDEX] += Fr::from(1u64 << 31);
    assert!(
        mock(&circuit, wrong).is_err(),
        "storage-half index accepted"
    );
}

#[test]
fn account_update_rejects_bad_witnesses() {
    let good = account_witness(8, 5);
    let public = AccountUpdateCircuit::new(good.clone())
        .unwrap()
        .public_inputs();
    let mut w = good.clone();
    w.update.siblings[3] += Fr::ONE;
    assert!(AccountUpdateCircuit::new(w.clone()).is_err());
    assert!(mock(&AccountUpdateCircuit::unchecked(w), public.clone()).is_err());

    let mut w = good.clone();
    w.new_balance += 1;
    let e = AccountUpdateCircuit::new(w.clone())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("account_update: invalid witness: new leaf"),
        "{e}"
    );
    assert!(mock(&AccountUpdateCircuit::unchecked(w), public).is_err());

    let mut w = good;
    w.update.index |= 1 << 7;
    let e = AccountUpdateCircuit::new(w).unwrap_err().to_string();
    assert!(e.contains("not in the account half"), "{e}");
}

#[test]
fn storage_update_at_depth_32_fits_its_minimal_k_and_binds_every_input() {
    let circuit = StorageUpdateCircuit::new(storage_witness(DEFAULT_DEPTH, 5)).unwrap();
    let cases = [
        (row::OLD_ROOT, "wrong old root"),
        (row::NEW_ROOT, "wrong new root"),
        (storage::row::CONTRACT, "wrong contract"),
        (storage::row::SLOT, "wrong slot"),
        (storage::row::OLD_VALUE, "wrong old value"),
        (storage::row::NEW_VALUE, "wrong new value"),
    ];
    let (s, k) = assert_sound_at_min_k(&circuit, &cases);
    println!("storage_update depth 32: k = {k}, {:?}", s.cells);
    assert_eq!(s.lookup_bits, Some(8));
}

#[test]
fn storage_update_rejects_bad_witnesses_and_other_slots() {
    let good = storage_witness(8, 4);
    let public = StorageUpdateCircuit::new(good.clone())
        .unwrap()
        .public_inputs();
    let mut w = good.clone();
    w.update.siblings[0] += Fr::ONE;
    assert!(StorageUpdateCircuit::new(w.clone()).is_err());
    assert!(mock(&StorageUpdateCircuit::unchecked(w), public).is_err());

    // The same tree update claimed for another slot: the key's bits walk another path.
    let other = StorageUpdateWitness {
        slot_index: Fr::from(5),
        ..good.clone()
    };
    let e = StorageUpdateCircuit::new(other.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not the storage index"), "{e}");
    let other_index = storage_index_at(8, storage_slot_key(good.contract, Fr::from(5))).unwrap();
    assert_ne!(
        other_index, good.update.index,
        "pick slots with different indices"
    );
    let circuit = StorageUpdateCircuit::unchecked(other);
    assert!(mock(&circuit, circuit.public_inputs()).is_err());
}

#[test]
fn circuits_follow_the_native_tree_through_a_sequence_of_updates() {
    // Depth 6 keeps each MockProver run small; the roots chain from one update to the next.
    const DEPTH: usize = 6;
    let mut tree = SparseMerkleTree::new(DEPTH).unwrap();
    let index = account_index_at(DEPTH, 13).unwrap();
    tree.update(index, account_leaf(0, 0)).unwrap();
    let mut root = tree.root();
    for (balance, nonce) in [(100u64, 0u64), (40, 1)] {
        let old = tree.get(index).unwrap();
        let update = tree.update(index, account_leaf(balance, nonce)).unwrap();
        let (old_balance, old_nonce) = if balance == 100 { (0, 0) } else { (100, 0) };
        assert_eq!(old, account_leaf(old_balance, old_nonce));
        let w = AccountUpdateWitness {
            update,
            old_balance,
            old_nonce,
            new_balance: balance,
            new_nonce: nonce,
        };
        let c = AccountUpdateCircuit::new(w).unwrap();
        let public = c.public_inputs();
        assert_eq!(public[row::OLD_ROOT], root);
        assert_eq!(mock(&c, public.clone()), Ok(()));
        root = public[row::NEW_ROOT];
    }
    let contract = Fr::from(1001);
    let key = storage_slot_key(contract, Fr::from(1));
    let update = tree
        .update(storage_index_at(DEPTH, key).unwrap(), Fr::from(77))
        .unwrap();
    let c = StorageUpdateCircuit::new(StorageUpdateWitness {
        update,
        contract,
        slot_index: Fr::from(1),
    })
    .unwrap();
    assert_eq!(c.public_inputs()[row::OLD_ROOT], root);
    assert_eq!(mock(&c, c.public_inputs()), Ok(()));
    assert_eq!(c.public_inputs()[row::NEW_ROOT], tree.root());
}

#[test]
fn depth_is_a_parameter() {
    // Smaller trees are smaller circuits: depth 8 needs fewer cells than depth 32.
    let small = sizing(&AccountUpdateCircuit::new(account_witness(8, 5)).unwrap());
    let big = sizing(&AccountUpdateCircuit::new(account_witness(DEFAULT_DEPTH, 5)).unwrap());
    assert!(small.cells.advice * 3 < big.cells.advice);
    // The smallest tree: one bit for the half, one within it.
    let mut tree = SparseMerkleTree::new(2).unwrap();
    let update = tree.update(1, account_leaf(9, 0)).unwrap();
    let w = AccountUpdateWitness {
        update,
        old_balance: 0,
        old_nonce: 0,
        new_balance: 9,
        new_nonce: 0,
    };
    // An empty leaf is 0, not Poseidon(0, 0): creating an account is not an account update.
    assert!(AccountUpdateCircuit::new(w.clone()).is_err());
    let mut tree = SparseMerkleTree::new(2).unwrap();
    tree.update(1, account_leaf(0, 0)).unwrap();
    let update = tree.update(1, account_leaf(9, 0)).unwrap();
    let c = AccountUpdateCircuit::new(AccountUpdateWitness { update, ..w }).unwrap();
    assert_eq!(mock(&c, c.public_inputs()), Ok(()));
}
