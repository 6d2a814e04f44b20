//! The engines on their own (`LockedQueue`, `LockFreeQueue`), through the runtime's root
//! names: no derive, no layers.
//!
//! - `model`: both engines against a `VecDeque` model under random operations and random
//!   valid configurations, and the refusal of invalid ones.
//! - `stress`: threaded producers and consumers on growing and shrinking queues.
//! - `room`: threaded permits, drop_oldest and byte bounds at small maximums.
//! - `room_model`: both engines against a `VecDeque` model with held places, drop_oldest
//!   and random weights under byte bounds.

mod model;
mod room;
mod room_model;
mod stress;
