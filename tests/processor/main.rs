#![cfg(feature = "tokio")]
//! The processor: PartitionedBuffer's processing cycle (one worker per partition, batches
//! every interval, retries, dead letters, option changes, shutdown) ported to elasticq's
//! generated queues, on tokio tasks and on threads; one module per behaviour, `common` the
//! helpers they share. Its `tracing` events are in `tests/processor_events.rs`, a binary of
//! its own because it installs the process's global subscriber.

mod common;

mod batching;
mod failures;
mod map_mode;
mod options;
mod persist;
mod routing;
mod shutdown;
