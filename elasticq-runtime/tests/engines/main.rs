//! The engines on their own (`LockedQueue`, `LockFreeQueue`), through the runtime's root
//! names: no derive, no layers.
//!
//! - `model`: both engines against a `VecDeque` model under random operations and random
//!   valid configurations, and the refusal of invalid ones.
//! - `stress`: threaded producers and consumers on growing and shrinking queues.

mod model;
mod stress;
