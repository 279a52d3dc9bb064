//! The event_log circuit on the MockProver: well-formed events accepted at the minimal `k`, the
//! hash bound, malformed layouts (non-boolean flag, gap in a group, data in an unused slot, a
//! wrong header) rejected; the encoding is injective on the cases that motivated the header.

use circuits_kzg::event_log::{Event, EventError, EventLogCircuit, MAX_TOPICS, SLOTS};
use circuits_kzg::harness::{assert_sound_at_min_k, mock, BaseCircuit};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;

/// An ERC-20 `Transfer(from, to, value)`.
fn transfer_event() -> Event {
    Event {
        topics: vec![Fr::from(0xddf2), Fr::from(1), Fr::from(2)],
        data: vec![Fr::from(1_500_000)],
    }
}

fn accepted(c: &EventLogCircuit) -> bool {
    mock(c, c.public_inputs()).is_ok()
}

#[test]
fn well_formed_events_at_minimal_k_with_the_hash_bound() {
    let circuit = EventLogCircuit::new(&transfer_event()).unwrap();
    let (s, k) = assert_sound_at_min_k(&circuit, &[(0, "wrong hash")]);
    println!("event_log: k = {k}, {:?}", s.cells);
    let full = Event {
        topics: vec![Fr::ONE; 4],
        data: vec![-Fr::ONE; 4],
    };
    for e in [
        Event::default(),
        full,
        Event {
            topics: vec![],
            data: vec![Fr::from(9)],
        },
    ] {
        assert!(accepted(&EventLogCircuit::new(&e).unwrap()), "{e:?}");
    }
    assert_eq!(
        EventLogCircuit::new(&Event {
            topics: vec![Fr::ONE; 5],
            data: vec![]
        })
        .unwrap_err(),
        EventError::TooManyTopics(5)
    );
    assert!(Event {
        topics: vec![],
        data: vec![Fr::ONE; 5]
    }
    .hash()
    .is_err());
}

#[test]
fn the_encoding_is_injective_on_lengths_and_groups() {
    let a = Fr::from(7);
    let events = [
        Event {
            topics: vec![a],
            data: vec![Fr::ZERO],
        },
        Event {
            topics: vec![a, Fr::ZERO],
            data: vec![],
        },
        Event {
            topics: vec![a],
            data: vec![],
        },
        Event {
            topics: vec![],
            data: vec![a],
        },
    ];
    let hashes: Vec<Fr> = events.iter().map(|e| e.hash().unwrap()).collect();
    for i in 0..hashes.len() {
        for j in i + 1..hashes.len() {
            assert_ne!(hashes[i], hashes[j], "{:?} vs {:?}", events[i], events[j]);
        }
    }
}

#[test]
fn malformed_layouts_are_rejected_by_the_constraints() {
    let event = transfer_event();
    let good = event.slots().unwrap();
    let hash = event.hash().unwrap();
    assert!(accepted(&EventLogCircuit::unchecked(good, hash)));
    // Another event's hash.
    let other = Event {
        topics: vec![Fr::from(0xddf2)],
        data: vec![],
    };
    assert!(!accepted(&EventLogCircuit::unchecked(
        good,
        other.hash().unwrap()
    )));

    let mut bad = good;
    bad[0].1 = Fr::from(2); // a non-boolean flag
    assert!(!accepted(&EventLogCircuit::unchecked(bad, hash)));

    // A gap: topic 1 unused (and zero) but topic 2 used. Its honest hash under the same layout
    // is what a cheater would claim.
    let mut bad = good;
    bad[1] = (Fr::ZERO, Fr::ZERO);
    let mut fields = vec![Fr::from(16 * 2 + 1)];
    fields.extend(bad.iter().map(|s| s.0));
    let claimed = circuits_kzg::poseidon::hash_fields(&fields);
    assert!(!accepted(&EventLogCircuit::unchecked(bad, claimed)));

    // Data in an unused slot, hashed honestly as if the layout allowed it.
    let mut bad = good;
    bad[SLOTS - 1].0 = Fr::from(5);
    let mut fields = event.fields().unwrap().to_vec();
    fields[SLOTS] = Fr::from(5);
    let claimed = circuits_kzg::poseidon::hash_fields(&fields);
    assert!(!accepted(&EventLogCircuit::unchecked(bad, claimed)));

    // A data word marked used in the topic group's place: flags of a group don't carry over.
    let mut bad = good;
    bad[MAX_TOPICS + 1] = (Fr::from(3), Fr::ONE);
    bad[MAX_TOPICS] = (Fr::ZERO, Fr::ZERO);
    assert!(!accepted(&EventLogCircuit::unchecked(bad, hash)));
}
