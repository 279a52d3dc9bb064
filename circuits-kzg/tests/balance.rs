//! The balance circuit on the MockProver: valid transfers accepted at the minimal `k`, every
//! public input bound, overdraft / overflow / nonce overflow / out-of-range inputs rejected by
//! the constraints, and the native rule agreeing with the circuit on random transfers.

use circuits_kzg::balance::{BalanceCircuit, BalanceError, BalanceWitness};
use circuits_kzg::harness::{assert_sound_at_min_k, mock, BaseCircuit};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use proptest::prelude::*;

fn transfer(sender: u64, nonce: u64, receiver: u64, amount: u64, fee: u64) -> BalanceWitness {
    BalanceWitness {
        sender_balance: sender,
        sender_nonce: nonce,
        receiver_balance: receiver,
        amount,
        fee,
    }
}

fn accepted(c: &BalanceCircuit) -> bool {
    mock(c, c.public_inputs()).is_ok()
}

#[test]
fn valid_transfers_at_minimal_k_with_every_public_input_bound() {
    let w = transfer(1_000, 7, 50, 300, 2);
    let outcome = w.apply().unwrap();
    let circuit = BalanceCircuit::new(&w).unwrap();
    let expected = [1_000, outcome.sender_balance, 7, 8, 50, 350, 300, 2]
        .map(Fr::from)
        .to_vec();
    assert_eq!(circuit.public_inputs(), expected);
    let names = [
        "sender_old",
        "sender_new",
        "nonce_old",
        "nonce_new",
        "receiver_old",
        "receiver_new",
        "amount",
        "fee",
    ];
    let cases: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
    let (s, k) = assert_sound_at_min_k(&circuit, &cases);
    println!("balance: k = {k}, {:?}", s.cells);
    for w in [
        transfer(1_000, 0, 50, 0, 0),
        transfer(1_000, 3, 50, 990, 10),
        transfer(5, 9, u64::MAX, 0, 5),
        transfer(u64::MAX, u64::MAX - 1, 0, u64::MAX, 0),
    ] {
        assert!(accepted(&BalanceCircuit::new(&w).unwrap()), "{w:?}");
    }
}

#[test]
fn invalid_transfers_are_rejected_by_the_constraints() {
    let cases = [
        (
            transfer(100, 0, 0, 90, 11),
            BalanceError::Overdraft {
                balance: 100,
                amount: 90,
                fee: 11,
            },
        ),
        (
            transfer(100, 0, u64::MAX, 1, 0),
            BalanceError::Overflow {
                balance: u64::MAX,
                amount: 1,
            },
        ),
        (
            transfer(100, u64::MAX, 0, 1, 0),
            BalanceError::NonceOverflow { nonce: u64::MAX },
        ),
        (
            transfer(u64::MAX, 0, 0, u64::MAX, 1),
            BalanceError::Overdraft {
                balance: u64::MAX,
                amount: u64::MAX,
                fee: 1,
            },
        ),
    ];
    for (w, err) in cases {
        assert_eq!(w.apply(), Err(err));
        assert!(BalanceCircuit::new(&w).is_err());
        assert!(!accepted(&BalanceCircuit::unchecked(&w)), "{w:?} accepted");
    }
    // An input of 2^64 is no u64: only the range check stops it.
    let big = Fr::from(u64::MAX) + Fr::from(1);
    let c = BalanceCircuit::from_field([big, Fr::from(0), Fr::from(0), Fr::from(1), Fr::from(0)]);
    assert!(!accepted(&c));
    // A wrong witness against honest public inputs.
    let honest = BalanceCircuit::new(&transfer(10, 0, 0, 1, 1))
        .unwrap()
        .public_inputs();
    assert!(mock(
        &BalanceCircuit::unchecked(&transfer(10, 0, 0, 2, 0)),
        honest
    )
    .is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The circuit accepts exactly the transfers the native rule accepts.
    #[test]
    fn circuit_agrees_with_the_native_rule(
        sender in prop_oneof![any::<u64>(), 0u64..1000],
        nonce in prop_oneof![any::<u64>(), Just(u64::MAX)],
        receiver in any::<u64>(),
        amount in prop_oneof![any::<u64>(), 0u64..1000],
        fee in 0u64..1000,
    ) {
        let w = transfer(sender, nonce, receiver, amount, fee);
        prop_assert_eq!(accepted(&BalanceCircuit::unchecked(&w)), w.apply().is_ok());
    }
}
