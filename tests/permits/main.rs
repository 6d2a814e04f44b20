//! Permits (`reserve`, `try_reserve`, `reserve_for`): what a held place guarantees on every
//! composition, a model of places against capacity, cancellation at random moments, and
//! producers holding places while consumers pop.

mod cancellation;
mod common;
mod model;
mod semantics;
mod stress;
