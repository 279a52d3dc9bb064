//! The AMM swap circuit on the MockProver: valid swaps accepted at the minimal `k`, every public
//! input bound, a wrong quote (either side of the floor), a too-high fee, an empty pool and an
//! overflowing reserve rejected by the constraints; the native rule agrees on random swaps.

use circuits_kzg::amm_swap::{AmmError, AmmSwapCircuit, AmmSwapWitness};
use circuits_kzg::harness::{assert_sound_at_min_k, mock, BaseCircuit};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use proptest::prelude::*;

fn swap(reserve_in: u64, reserve_out: u64, amount_in: u64, fee_bps: u16) -> AmmSwapWitness {
    AmmSwapWitness {
        reserve_in,
        reserve_out,
        amount_in,
        fee_bps,
    }
}

fn accepted(c: &AmmSwapCircuit) -> bool {
    mock(c, c.public_inputs()).is_ok()
}

#[test]
fn valid_swaps_at_minimal_k_with_every_public_input_bound() {
    // The USDC/WETH pool of datasets/operations.toml.
    let w = swap(3_000_000_000_000, 1_000_000_000, 1_500_000, 30);
    let outcome = w.apply().unwrap();
    let circuit = AmmSwapCircuit::new(&w).unwrap();
    assert_eq!(circuit.public_inputs()[3], Fr::from(outcome.amount_out));
    let names = [
        "reserve_in",
        "reserve_out",
        "amount_in",
        "amount_out",
        "new_reserve_in",
        "new_reserve_out",
        "fee_bps",
    ];
    let cases: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
    let (s, k) = assert_sound_at_min_k(&circuit, &cases);
    println!("amm_swap: k = {k}, {:?}", s.cells);
    for w in [
        swap(1, 1, 0, 0),
        swap(1, u64::MAX, u64::MAX - 1, 0),
        swap(u64::MAX / 2, u64::MAX, u64::MAX / 2, 9999),
        swap(500_000_000, 1_500_000_000_000, 12_345, 30),
    ] {
        assert!(accepted(&AmmSwapCircuit::new(&w).unwrap()), "{w:?}");
    }
}

#[test]
fn invalid_swaps_are_rejected_by_the_constraints() {
    let w = swap(1_000_000, 2_000_000, 5_000, 30);
    let q = w.quote().unwrap();
    for wrong in [q + 1, q - 1] {
        assert!(
            !accepted(&AmmSwapCircuit::with_amount_out(&w, wrong)),
            "amount_out {wrong}"
        );
    }
    // A wrong quote against the honest public inputs.
    let honest = AmmSwapCircuit::new(&w).unwrap().public_inputs();
    assert!(mock(&AmmSwapCircuit::with_amount_out(&w, q - 1), honest).is_err());

    let cases = [
        (
            swap(1_000, 1_000, 10, 10_000),
            AmmError::FeeTooHigh { fee_bps: 10_000 },
        ),
        (
            swap(0, 1_000, 10, 30),
            AmmError::EmptyPool {
                reserve_in: 0,
                reserve_out: 1_000,
            },
        ),
        (
            swap(1_000, 0, 10, 30),
            AmmError::EmptyPool {
                reserve_in: 1_000,
                reserve_out: 0,
            },
        ),
        (
            swap(u64::MAX, 1_000, 1, 30),
            AmmError::ReserveOverflow {
                reserve_in: u64::MAX,
                amount_in: 1,
            },
        ),
    ];
    for (w, err) in cases {
        assert_eq!(w.apply(), Err(err));
        // Claim the only amounts a cheating prover could hope for.
        for out in [0, 1] {
            assert!(
                !accepted(&AmmSwapCircuit::with_amount_out(&w, out)),
                "{w:?} out {out}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The quote is accepted and its neighbours are not.
    #[test]
    fn circuit_agrees_with_the_native_quote(
        reserve_in in 1u64..u64::MAX / 2,
        reserve_out in 1u64..u64::MAX,
        amount_in in 0u64..u64::MAX / 2,
        fee_bps in 0u16..10_000,
    ) {
        let w = swap(reserve_in, reserve_out, amount_in, fee_bps);
        let q = w.quote().unwrap();
        prop_assert!(accepted(&AmmSwapCircuit::new(&w).unwrap()));
        prop_assert!(!accepted(&AmmSwapCircuit::with_amount_out(&w, q + 1)));
        if q > 0 {
            prop_assert!(!accepted(&AmmSwapCircuit::with_amount_out(&w, q - 1)));
        }
    }
}
