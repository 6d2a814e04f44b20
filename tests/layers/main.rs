//! The layers under the generated queues (`PriorityLevels`, `Partitioned`, `MapQueue`) over
//! both engines, driven directly rather than through the generated API (which
//! `tests/derive/layers.rs` covers).
//!
//! - `model`: each layer against a plain model, and the fairness bound of every pop sequence.
//! - `stress`: threaded producers with random levels into partitioned, prioritised queues.
//! - `hooks`: `set_hooks` and `room_for` through `PriorityLevels`, `Partitioned` and
//!   `Instrumented`.

mod hooks;
mod model;
mod stress;
