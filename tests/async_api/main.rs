//! The generated queues' async side: `push_async`, `pop_async`, `pop_batch_async`,
//! `pop_async_timeout`, `stream()` and `sink()` (and their owned forms), over every composition (engines, priorities, partitions, map mode,
//! persistence). Wake-ups are checked for loss (a lost one hangs a waiter, which the tests
//! turn into a failure after a generous deadline) and cancellation for lost messages.
//!
//! - `waiting`: `pop_async` and `push_async` wait and end at close; other refusals; `pop_async_timeout`.
//! - `cancellation`: kept timed-out futures, a dropped `pop_async`'s wake-up, cancellation at any point.
//! - `stress`: async producers at a tiny maximum, async consumers, on each engine and layer; nothing lost or hung.
//! - `compositions`: a persisted queue and map mode wait too.
//! - `stream_sink`: `stream()` order and close, `sink()` backpressure, order and hand-back.
//! - `wake_ups`: no tokio runtime needed; woken by every kind of push and of pop.
//! - `batches`: `pop_batch_async` on every composition, its at-least-one and closed-empty ends, persisted deliveries, stress.
//! - `cancel_batches`: dropped batches pass their wake-up on; `into_message`; random cancellation of batches and pushes.
//! - `rejections`: a push that waits counts no rejection (stats and the metrics series), one ended by an error counts one.
//! - `owned`: `into_sink()` and `into_stream()` moved into spawned tasks.
//! - `common`: the message types, `HANG`, the runtime and a counting waker.

mod common;

mod batches;
mod cancel_batches;
mod cancellation;
mod compositions;
mod owned;
mod rejections;
mod stream_sink;
mod stress;
mod waiting;
mod wake_ups;
