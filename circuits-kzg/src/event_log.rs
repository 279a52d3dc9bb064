//! `event_log`: the commitment to one emitted log event. Mirrors the Pasta circuit
//! `circuits/src/subcircuits/event_log.rs`, with this crate's Poseidon.
//!
//! # Event encoding
//! An event has up to [`MAX_TOPICS`] topics and up to [`MAX_DATA`] data words, laid out in a
//! fixed width of [`EVENT_FIELDS`] field elements:
//!
//! `[header, topic_0 .. topic_3, data_0 .. data_3]`, unused slots zero,
//!
//! where `header = 16·n_topics + n_data` records both lengths (16 > [`MAX_DATA`], so the
//! encoding is injective: with only the total count, `topics [a], data [0]` and
//! `topics [a, 0], data []` would lay out identically). The event hash is
//! [`crate::poseidon::hash_fields`] of that layout (nine words, five permutations).
//!
//! # Statement
//! Public input: `[hash]`. The prover knows slot values and a "used" flag per slot with:
//! - every flag boolean, and within the topic group and within the data group no used slot
//!   after an unused one (the used slots are a prefix of each group);
//! - every unused slot zero;
//! - `header = 16·(used topics) + (used data)`;
//! - `Poseidon(header, slots…)` equal to the public hash.
//!
//! So the hash commits to a well-formed event, not merely to nine field elements.

use crate::harness::BaseCircuit;
use crate::poseidon::{hash_fields, PoseidonGadget};
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::QuantumCell::Constant;
use halo2_base::{AssignedValue, Context};

/// Most topics an event may carry (as the EVM's LOG4).
pub const MAX_TOPICS: usize = 4;
/// Most data words an event may carry.
pub const MAX_DATA: usize = 4;
/// Slots: every topic and data word.
pub const SLOTS: usize = MAX_TOPICS + MAX_DATA;
/// Hashed width: the header plus every slot.
pub const EVENT_FIELDS: usize = 1 + SLOTS;
/// Weight of the topic count in the header; any value above [`MAX_DATA`] keeps it injective.
pub const TOPIC_WEIGHT: u64 = 16;

/// A log event.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// Indexed topics (at most [`MAX_TOPICS`]).
    #[serde(with = "crate::serde_fields::fr_vec")]
    pub topics: Vec<Fr>,
    /// Data words (at most [`MAX_DATA`]).
    #[serde(with = "crate::serde_fields::fr_vec")]
    pub data: Vec<Fr>,
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

    /// The fixed-width layout `[header, topics (zero-padded), data (zero-padded)]`.
    pub fn fields(&self) -> Result<[Fr; EVENT_FIELDS], EventError> {
        self.check()?;
        let mut fields = [Fr::ZERO; EVENT_FIELDS];
        fields[0] = Fr::from(TOPIC_WEIGHT * self.topics.len() as u64 + self.data.len() as u64);
        fields[1..1 + self.topics.len()].copy_from_slice(&self.topics);
        fields[1 + MAX_TOPICS..1 + MAX_TOPICS + self.data.len()].copy_from_slice(&self.data);
        Ok(fields)
    }

    /// The event hash: Poseidon of [`Event::fields`].
    pub fn hash(&self) -> Result<Fr, EventError> {
        Ok(hash_fields(&self.fields()?))
    }

    /// The slots `(value, used)`, topics first.
    pub fn slots(&self) -> Result<[(Fr, Fr); SLOTS], EventError> {
        self.check()?;
        Ok(std::array::from_fn(|i| {
            let (group, j) = if i < MAX_TOPICS {
                (&self.topics, i)
            } else {
                (&self.data, i - MAX_TOPICS)
            };
            group.get(j).map_or((Fr::ZERO, Fr::ZERO), |v| (*v, Fr::ONE))
        }))
    }
}

/// The `event_log` sub-circuit (see the module docs).
#[derive(Debug, Clone)]
pub struct EventLogCircuit {
    /// `(value, used flag)` per slot, topics first.
    slots: [(Fr, Fr); SLOTS],
    /// The public hash.
    hash: Fr,
}

impl EventLogCircuit {
    /// A circuit committing to `event`.
    pub fn new(event: &Event) -> Result<Self, EventError> {
        Ok(Self {
            slots: event.slots()?,
            hash: event.hash()?,
        })
    }

    /// A circuit over arbitrary slots and flags claiming `hash`, skipping every native check
    /// (for the tests: a malformed layout must be rejected by the constraints).
    pub fn unchecked(slots: [(Fr, Fr); SLOTS], hash: Fr) -> Self {
        Self { slots, hash }
    }
}

impl BaseCircuit for EventLogCircuit {
    const NAME: &'static str = "event_log";

    /// No range checks: flags are boolean gates, the header a weighted sum.
    fn lookup_bits(&self) -> Option<usize> {
        None
    }

    fn synthesize(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> Vec<AssignedValue<Fr>> {
        let gate = range.gate();
        let mut poseidon = PoseidonGadget::new(ctx);
        let values = ctx.assign_witnesses(self.slots.iter().map(|s| s.0));
        let flags = ctx.assign_witnesses(self.slots.iter().map(|s| s.1));
        for (i, (&value, &flag)) in values.iter().zip(&flags).enumerate() {
            gate.assert_bit(ctx, flag);
            // An unused slot is zero: value·flag = value.
            let kept = gate.mul(ctx, value, flag);
            ctx.constrain_equal(&kept, &value);
            // Prefix: a used slot follows a used slot of its group (flag_i · flag_{i−1} = flag_i).
            if i != 0 && i != MAX_TOPICS {
                let both = gate.mul(ctx, flag, flags[i - 1]);
                ctx.constrain_equal(&both, &flag);
            }
        }
        let weights =
            (0..SLOTS).map(|i| Constant(Fr::from(if i < MAX_TOPICS { TOPIC_WEIGHT } else { 1 })));
        let header = gate.inner_product(ctx, flags, weights);
        let message: Vec<_> = std::iter::once(header).chain(values).collect();
        vec![poseidon.hash_fields(ctx, gate, &message)]
    }

    fn public_inputs(&self) -> Vec<Fr> {
        vec![self.hash]
    }
}
