//! The generated queues' async side: `push_async`, `pop_async`, `pop_async_timeout`,
//! `stream()` and `sink()`, over every composition (engines, priorities, partitions, map mode,
//! persistence). Wake-ups are checked for loss (a lost one hangs a waiter, which the tests
//! turn into a failure after a generous deadline) and cancellation for lost messages.
//!
//! - `waiting`: `pop_async` and `push_async` wait and end at close; other refusals; `pop_async_timeout`.
//! - `cancellation`: kept timed-out futures, a dropped `pop_async`'s wake-up, cancellation at any point.
//! - `stress`: async producers at a tiny maximum, async consumers, on each engine and layer; nothing lost or hung.
//! - `compositions`: a persisted queue and map mode wait too.
//! - `stream_sink`: `stream()` order and close, `sink()` backpressure, order and hand-back.
//! - `wake_ups`: no tokio runtime needed; woken by every kind of push and of pop.
//! - `common`: the message types, `HANG`, the runtime and a counting waker.

mod common;

mod cancellation;
mod compositions;
mod stream_sink;
mod stress;
mod waiting;
mod wake_ups;
