//! kumo's state machine: one module per folder, driven through ABCI 2.0-shaped calls.
pub mod abci;
