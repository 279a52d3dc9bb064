//! Native Poseidon == halo2-base's in-circuit `PoseidonHasher` (T = 3, RATE = 2, R_F = 8,
//! R_P = 57), on random messages of every length up to 7.

use circuits_kzg::harness::{assert_sound_at_min_k, mock, BaseCircuit};
use circuits_kzg::poseidon::{hash2, hash_fields, spec, PoseidonGadget};
use halo2_base::gates::{RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::poseidon::hasher::PoseidonHasher;
use halo2_base::utils::testing::base_test;
use halo2_base::{AssignedValue, Context};
use proptest::prelude::*;
use rand::SeedableRng;

/// Public input: `hash_fields(message)`.
struct HashCircuit(Vec<Fr>);

impl BaseCircuit for HashCircuit {
    const NAME: &'static str = "poseidon";
    fn lookup_bits(&self) -> Option<usize> {
        None
    }
    fn synthesize(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> Vec<AssignedValue<Fr>> {
        let mut poseidon = PoseidonGadget::new(ctx);
        let message = ctx.assign_witnesses(self.0.iter().copied());
        vec![poseidon.hash_fields(ctx, range.gate(), &message)]
    }
    fn public_inputs(&self) -> Vec<Fr> {
        vec![hash_fields(&self.0)]
    }
}

fn fr() -> impl Strategy<Value = Fr> {
    any::<[u8; 32]>().prop_map(|seed| Fr::random(rand_chacha::ChaCha8Rng::from_seed(seed)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn native_equals_in_circuit(message in prop::collection::vec(fr(), 0..8)) {
        let native = hash_fields(&message);
        let (gadget, again, hasher) = base_test().k(13).run_gate(|ctx, gate| {
            let cells = ctx.assign_witnesses(message.iter().copied());
            // The gadget, twice with another hash in between (its sponge is reset per hash)...
            let mut poseidon = PoseidonGadget::new(ctx);
            let first = *poseidon.hash_fields(ctx, gate, &cells).value();
            let one = ctx.load_constant(Fr::ONE);
            poseidon.hash2(ctx, gate, one, one);
            let again = *poseidon.hash_fields(ctx, gate, &cells).value();
            // ...and halo2-base's PoseidonHasher, which the signature circuit uses.
            let mut hasher = PoseidonHasher::new(spec().clone());
            hasher.initialize_consts(ctx, gate);
            (first, again, *hasher.hash_fix_len_array(ctx, gate, &cells).value())
        });
        prop_assert_eq!(native, gadget);
        prop_assert_eq!(native, again);
        prop_assert_eq!(native, hasher);
    }
}

#[test]
fn hash2_is_the_two_word_message_and_the_public_hash_is_bound() {
    let (a, b) = (Fr::from(3), Fr::from(5));
    assert_eq!(hash2(a, b), hash_fields(&[a, b]));
    let circuit = HashCircuit(vec![a, b]);
    let (sizing, k) = assert_sound_at_min_k(&circuit, &[(0, "wrong hash")]);
    println!("poseidon hash2: k = {k}, {:?}", sizing.cells);
    // A wrong message against the honest hash fails.
    assert!(mock(&HashCircuit(vec![a, b + Fr::ONE]), circuit.public_inputs()).is_err());
}
