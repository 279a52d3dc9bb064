//! The `zkpar` command.
fn main() {}
