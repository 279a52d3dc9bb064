//! `event_log`: the commitment to one emitted log event.
//!
//! # Event encoding
//! An event has up to [`MAX_TOPICS`] topics and up to [`MAX_DATA`] data words. It is laid out
//! in a fixed width of [`EVENT_FIELDS`] field elements:
//!
//! `[header, topic_0 .. topic_3, data_0 .. data_3]`, unused slots zero,
//!
//! where `header = 16·n_topics + n_data` records both lengths (16 > [`MAX_DATA`], so the
//! encoding is injective). Both are needed: with only the total count, `topics [a], data [0]`
//! and `topics [a, 0], data []` would lay out identically. The event hash is
//! `Poseidon_ConstantLength<9>` of that layout ([`Event::hash`]).
//!
//! # Statement
//! Public input (one instance column): `[hash]`. The prover knows topics and data words, with a
//! "used" flag per slot, such that:
//! - every flag is boolean, and within the topic group and within the data group no used slot
//!   follows an unused one (so the used slots are a prefix of each group);
//! - every unused slot holds zero;
//! - the header is `16·(used topics) + (used data)`, accumulated row by row;
//! - `Poseidon(header, slots…)` equals the public hash.
//!
//! So the hash commits to a well-formed event, not merely to nine field elements.
//!
//! # Layout
//! One `Pow5Chip` behind halo2_gadgets' Poseidon sponge ([`struct@Hash`]): five absorptions of two
//! words (the ninth word plus one zero of padding in the last), then an 8-row slot region on
//! the chip's state columns.

use super::merkle::{min_k, rows_used, KCache, WitnessError};
use super::SubCircuit;
use crate::state::poseidon::{self, Spec, RATE, WIDTH};
use crate::Fp;
use ff::Field;
use halo2_gadgets::poseidon::primitives::ConstantLength;
use halo2_gadgets::poseidon::{Hash, Pow5Chip, Pow5Config};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
    Selector,
};
use halo2_proofs::poly::Rotation;

/// Most topics an event may carry.
pub const MAX_TOPICS: usize = 4;
/// Most data words an event may carry.
pub const MAX_DATA: usize = 4;
/// Hashed width: the header plus every topic and data slot.
pub const EVENT_FIELDS: usize = 1 + MAX_TOPICS + MAX_DATA;
/// Weight of the topic count in the header; any value above [`MAX_DATA`] keeps it injective.
const TOPIC_WEIGHT: u64 = 16;

/// A log event: topics and data words.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// Indexed topics (at most [`MAX_TOPICS`]).
    #[serde(with = "crate::codec::fp_vec")]
    pub topics: Vec<Fp>,
    /// Data words (at most [`MAX_DATA`]).
    #[serde(with = "crate::codec::fp_vec")]
    pub data: Vec<Fp>,
}

/// An event that does not fit the fixed width.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// More than [`MAX_TOPICS`] topics.
    #[error("event has {0} topics; at most {MAX_TOPICS} are supported")]
    TooManyTopics(usize),
    /// More than [`MAX_DATA`] data words.
    #[error("event has {0} data words; at most {MAX_DATA} are supported")]
    TooManyData(usize),
}

impl Event {
    fn check(&self) -> Result<(), EventError> {
        if self.topics.len() > MAX_TOPICS {
            return Err(EventError::TooManyTopics(self.topics.len()));
        }
        if self.data.len() > MAX_DATA {
            return Err(EventError::TooManyData(self.data.len()));
        }
        Ok(())
    }

    /// `16·n_topics + n_data`.
    pub fn header(&self) -> Result<Fp, EventError> {
        self.check()?;
        Ok(Fp::from(
            TOPIC_WEIGHT * self.topics.len() as u64 + self.data.len() as u64,
        ))
    }

    /// The fixed-width layout `[header, topics (zero-padded), data (zero-padded)]`.
    pub fn fields(&self) -> Result<[Fp; EVENT_FIELDS], EventError> {
        let mut fields = [Fp::ZERO; EVENT_FIELDS];
        fields[0] = self.header()?;
        fields[1..1 + self.topics.len()].copy_from_slice(&self.topics);
        fields[1 + MAX_TOPICS..1 + MAX_TOPICS + self.data.len()].copy_from_slice(&self.data);
        Ok(fields)
    }

    /// The event hash `Poseidon_ConstantLength<9>(fields)`.
    pub fn hash(&self) -> Result<Fp, EventError> {
        Ok(poseidon::hash_fields(self.fields()?))
    }

    /// The eight slots `(value, used)`, topics first.
    fn slots(&self) -> [(Fp, bool); MAX_TOPICS + MAX_DATA] {
        std::array::from_fn(|i| {
            let (group, j) = if i < MAX_TOPICS {
                (&self.topics, i)
            } else {
                (&self.data, i - MAX_TOPICS)
            };
            group.get(j).map_or((Fp::ZERO, false), |v| (*v, true))
        })
    }
}

/// Configuration of [`EventLogCircuit`].
#[derive(Debug, Clone)]
pub struct EventLogConfig {
    poseidon: Pow5Config<Fp, WIDTH, RATE>,
    /// `[slot value, used flag, running header]` (the Poseidon chip's state columns).
    slot: [Column<Advice>; 3],
    q_topic: Selector,
    q_data: Selector,
    q_prefix: Selector,
    instance: Column<Instance>,
    constants: Column<Fixed>,
}

/// The `event_log` sub-circuit (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct EventLogCircuit {
    /// `(value, used)` per slot, topics first; `None` for a shape-only circuit.
    slots: Option<[(Fp, bool); MAX_TOPICS + MAX_DATA]>,
    /// The event hash (zero for a shape-only circuit).
    hash: Fp,
}

impl EventLogCircuit {
    /// A circuit committing to `event`.
    pub fn new(event: &Event) -> Result<Self, WitnessError> {
        let hash = event
            .hash()
            .map_err(|e| WitnessError::new(Self::NAME, e.to_string()))?;
        Ok(Self {
            slots: Some(event.slots()),
            hash,
        })
    }

    /// Rows its layout uses (without halo2's blinding rows).
    pub fn rows(&self) -> usize {
        rows_used(&self.without_witnesses(), |c: &EventLogConfig| {
            vec![c.constants]
        })
        .expect("laying out the event_log shape cannot fail")
    }
}

impl Circuit<Fp> for EventLogCircuit {
    type Config = EventLogConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> EventLogConfig {
        let state: [Column<Advice>; WIDTH] = std::array::from_fn(|_| meta.advice_column());
        let partial_sbox = meta.advice_column();
        let rc_a: [Column<Fixed>; WIDTH] = std::array::from_fn(|_| meta.fixed_column());
        let rc_b: [Column<Fixed>; WIDTH] = std::array::from_fn(|_| meta.fixed_column());
        // rc_b[0] doubles as the constants column (sponge initial state, header start): it is
        // equality-enabled by the chip already, so it costs no extra column.
        meta.enable_constant(rc_b[0]);
        let poseidon = Pow5Chip::configure::<Spec>(meta, state, partial_sbox, rc_a, rc_b);
        let instance = meta.instance_column();
        meta.enable_equality(instance);

        let slot = state;
        let q_topic = meta.selector();
        let q_data = meta.selector();
        let q_prefix = meta.selector();
        // One gate per group, identical but for the slot's weight in the header (simple
        // selectors cannot be summed, so the two groups do not share one expression).
        for (name, q, weight) in [
            ("topic slot", q_topic, TOPIC_WEIGHT),
            ("data slot", q_data, 1),
        ] {
            meta.create_gate(name, |meta| {
                let q = meta.query_selector(q);
                let value = meta.query_advice(slot[0], Rotation::cur());
                let used = meta.query_advice(slot[1], Rotation::cur());
                let acc = meta.query_advice(slot[2], Rotation::cur());
                let acc_next = meta.query_advice(slot[2], Rotation::next());
                let one = Expression::Constant(Fp::ONE);
                let weight = Expression::Constant(Fp::from(weight));
                Constraints::with_selector(
                    q,
                    [
                        (
                            "used is boolean",
                            used.clone() * (one.clone() - used.clone()),
                        ),
                        ("unused slot is zero", (one - used.clone()) * value),
                        ("header counts the slot", acc_next - acc - weight * used),
                    ],
                )
            });
        }
        meta.create_gate("used slots are a prefix", |meta| {
            let q = meta.query_selector(q_prefix);
            let used = meta.query_advice(slot[1], Rotation::cur());
            let used_next = meta.query_advice(slot[1], Rotation::next());
            Constraints::with_selector(q, [used_next * (Expression::Constant(Fp::ONE) - used)])
        });

        EventLogConfig {
            poseidon,
            slot,
            q_topic,
            q_data,
            q_prefix,
            instance,
            constants: rc_b[0],
        }
    }

    fn synthesize(
        &self,
        config: EventLogConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let slots = self.slots;
        let (header, values) = layouter.assign_region(
            || "event slots",
            |mut region| {
                let [value_col, used_col, acc_col] = config.slot;
                let mut acc =
                    region.assign_advice_from_constant(|| "header_0", acc_col, 0, Fp::ZERO)?;
                let mut values = Vec::with_capacity(MAX_TOPICS + MAX_DATA);
                for i in 0..MAX_TOPICS + MAX_DATA {
                    let is_topic = i < MAX_TOPICS;
                    if is_topic {
                        config.q_topic.enable(&mut region, i)?;
                    } else {
                        config.q_data.enable(&mut region, i)?;
                    }
                    // Prefix check between neighbours of the same group only.
                    if i + 1 != MAX_TOPICS && i + 1 != MAX_TOPICS + MAX_DATA {
                        config.q_prefix.enable(&mut region, i)?;
                    }
                    let slot = match slots {
                        Some(s) => Value::known(s[i]),
                        None => Value::unknown(),
                    };
                    let value = slot.map(|(v, _)| v);
                    let used = slot.map(|(_, u)| Fp::from(u64::from(u)));
                    values.push(region.assign_advice(
                        || format!("slot_{i}"),
                        value_col,
                        i,
                        || value,
                    )?);
                    region.assign_advice(|| format!("used_{i}"), used_col, i, || used)?;
                    let weight = Fp::from(if is_topic { TOPIC_WEIGHT } else { 1 });
                    let next = acc.value().zip(used).map(|(a, u)| *a + weight * u);
                    acc = region.assign_advice(
                        || format!("header_{}", i + 1),
                        acc_col,
                        i + 1,
                        || next,
                    )?;
                }
                Ok((acc, values))
            },
        )?;

        let message: [_; EVENT_FIELDS] = std::iter::once(header)
            .chain(values)
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| Error::Synthesis)?;
        let chip = Pow5Chip::construct(config.poseidon.clone());
        let hasher = Hash::<_, _, Spec, ConstantLength<EVENT_FIELDS>, WIDTH, RATE>::init(
            chip,
            layouter.namespace(|| "event hash init"),
        )?;
        let hash = hasher.hash(layouter.namespace(|| "event hash"), message)?;
        layouter.constrain_instance(hash.cell(), config.instance, 0)
    }
}

impl SubCircuit for EventLogCircuit {
    const NAME: &'static str = "event_log";

    fn k(&self) -> u32 {
        // The shape has no parameter: one cache entry.
        static CACHE: KCache = KCache::new();
        CACHE.get_or_compute(0, || {
            min_k(&self.without_witnesses(), |c: &EventLogConfig| {
                vec![c.constants]
            })
            .expect("laying out the event_log shape cannot fail")
        })
    }

    fn public_inputs(&self) -> Vec<Vec<Fp>> {
        vec![vec![self.hash]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::dev::MockProver;

    fn transfer_event() -> Event {
        Event {
            topics: vec![Fp::from(0xddf2), Fp::from(1), Fp::from(2)],
            data: vec![Fp::from(500)],
        }
    }

    fn mock(circuit: &EventLogCircuit, hash: Fp) -> Result<(), String> {
        MockProver::run(circuit.k(), circuit, vec![vec![hash]])
            .map_err(|e| e.to_string())?
            .verify()
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn native_event_hash_and_errors() {
        let e = transfer_event();
        assert_eq!(e.header().unwrap(), Fp::from(3 * 16 + 1));
        let mut padded = e.clone();
        padded.data.push(Fp::ZERO);
        assert_ne!(
            e.hash().unwrap(),
            padded.hash().unwrap(),
            "lengths must be committed"
        );
        let moved = Event {
            topics: vec![Fp::from(0xddf2), Fp::from(1), Fp::from(2), Fp::ZERO],
            data: vec![],
        };
        assert_ne!(
            Event {
                topics: moved.topics[..3].to_vec(),
                data: vec![Fp::ZERO]
            }
            .hash()
            .unwrap(),
            moved.hash().unwrap()
        );
        let too_many = Event {
            topics: vec![Fp::ONE; 5],
            data: vec![],
        };
        assert_eq!(too_many.hash(), Err(EventError::TooManyTopics(5)));
        let too_much = Event {
            topics: vec![],
            data: vec![Fp::ONE; 6],
        };
        assert_eq!(too_much.hash(), Err(EventError::TooManyData(6)));
        let e = EventLogCircuit::new(&too_many).unwrap_err();
        assert_eq!(
            e.to_string(),
            "event_log: invalid witness: event has 5 topics; at most 4 are supported"
        );
    }

    #[test]
    fn valid_events_are_accepted_at_k_and_k_minus_1_lacks_rows() {
        let events = [
            transfer_event(),
            Event::default(),
            Event {
                topics: vec![Fp::ONE; 4],
                data: vec![Fp::from(9); 4],
            },
            Event {
                topics: vec![Fp::ZERO],
                data: vec![Fp::ZERO, Fp::ZERO],
            },
        ];
        for e in &events {
            let circuit = EventLogCircuit::new(e).unwrap();
            assert_eq!(mock(&circuit, e.hash().unwrap()), Ok(()), "{e:?}");
        }
        let circuit = EventLogCircuit::new(&events[0]).unwrap();
        let k = circuit.k();
        let err = MockProver::run(k - 1, &circuit, circuit.public_inputs()).unwrap_err();
        assert!(
            matches!(err, Error::NotEnoughRowsAvailable { .. }),
            "{err:?}"
        );
        assert!(circuit.rows() < 1 << k);
    }

    #[test]
    fn wrong_hash_and_malformed_events_are_rejected() {
        let e = transfer_event();
        let circuit = EventLogCircuit::new(&e).unwrap();
        assert!(
            mock(&circuit, e.hash().unwrap() + Fp::ONE).is_err(),
            "wrong log hash accepted"
        );
        let other = Event {
            data: vec![Fp::from(501)],
            ..e.clone()
        };
        assert!(
            mock(&circuit, other.hash().unwrap()).is_err(),
            "other event's hash accepted"
        );

        // An unused slot holding a value (here the fourth topic).
        let mut bad = circuit.clone();
        bad.slots.as_mut().unwrap()[3] = (Fp::from(7), false);
        let errors = mock(&bad, e.hash().unwrap()).unwrap_err();
        assert!(errors.contains("unused slot is zero"), "{errors}");

        // A used slot after an unused one: the header can no longer tell the layouts apart.
        let mut bad = EventLogCircuit::new(&Event {
            topics: vec![Fp::ONE],
            data: vec![],
        })
        .unwrap();
        bad.slots.as_mut().unwrap()[0] = (Fp::ZERO, false);
        bad.slots.as_mut().unwrap()[1] = (Fp::ONE, true);
        let errors = mock(
            &bad,
            Event {
                topics: vec![Fp::ZERO, Fp::ONE],
                data: vec![],
            }
            .hash()
            .unwrap(),
        )
        .unwrap_err();
        assert!(errors.contains("used slots are a prefix"), "{errors}");
    }

    #[test]
    fn real_proof_round_trip() {
        let circuit = EventLogCircuit::new(&transfer_event()).unwrap();
        let wrong = vec![vec![circuit.hash + Fp::ONE]];
        assert!(crate::proving::round_trip(&circuit, &wrong).unwrap() > 0);
    }
}
