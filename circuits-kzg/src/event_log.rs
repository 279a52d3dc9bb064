//! The Poseidon hash of an event's topics and data.
