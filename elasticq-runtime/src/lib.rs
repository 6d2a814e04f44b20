//! The runtime behind [elasticq](https://docs.rs/elasticq): elastic queue engines that grow
//! when full, shrink when idle, and never lose a message.
//!
//! Users depend on the `elasticq` crate, which re-exports what is public here. Two engines
//! implement [`Engine`]:
//! - [`LockedQueue`]: one `parking_lot` mutex around a ring; predictable under any load.
//! - [`LockFreeQueue`]: a chain of lock-free rings with epoch-based reclamation; the fastest
//!   with few threads, and it grows while producers push even when no consumer runs.
//!
//! Layers compose over any engine: [`PriorityLevels`] (one engine per priority level, strict
//! or fair), [`Partitioned`] (lanes routed by a stable hash of a partition key), and
//! [`MapQueue`] (PartitionedBuffer.Map's keyed, last-write-wins buffer).
//!
//! ```
//! use elasticq_runtime::{Config, Engine, LockFreeQueue};
//!
//! let queue = LockFreeQueue::new(Config::new().initial_capacity(1024))?;
//! for i in 0..10_000 {
//!     queue.push(i).unwrap(); // grows past 1024 without a consumer
//! }
//! assert_eq!(queue.len(), 10_000);
//! assert_eq!(queue.pop(), Some(0));
//! # Ok::<(), elasticq_runtime::Error>(())
//! ```
//!
//! # Layout
//!
//! The folders are roles, from the bottom up; each `mod.rs` says what its folder may import.
//! - `engine/`: the [`Engine`] trait and the engines (locked, lock-free, the sharded map).
//! - `wait/`: blocking waits and the async signal; engines sleep through it.
//! - `layer/`: the [`Lane`] trait, priority levels, partitions, metrics instrumentation.
//! - `message/`: the traits the derive implements, which the layers are bounded by.
//! - `persist/`: the write-ahead log and the persistence layer.
//! - `queue/`: what generated queues share: [`GeneratedQueue`], futures, stream and sink.
//! - `processor/`: the batch processor, over any [`GeneratedQueue`]; `codec/`: encodings.
//!
//! Crate-wide, at the root: `config` (every engine and layer is built from a [`Config`]),
//! `error` (the errors every call returns), `stats` (the counters every engine and layer
//! reports), and `sync`, the atomics every concurrent part reads through, loom's under
//! `--cfg loom`.

// Under `--cfg loom` the engine's models shrink-check on every pop (`SHRINK_CHECK_INTERVAL`
// is 1, so `index % 1`) and pin a guard with nothing to drop (reclamation is modelled on its
// own): both lints describe the model's configuration, not the engine.
#![cfg_attr(loom, allow(clippy::modulo_one, clippy::drop_non_drop))]
// docs.rs builds with `--cfg docsrs` (`[package.metadata.docs.rs]`): feature badges.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing/mod.rs"]
pub mod __fuzz;
mod codec;
mod config;
mod engine;
mod error;
mod jetstream;
mod layer;
mod message;
mod persist;
#[cfg(feature = "tokio")]
mod processor;
mod queue;
mod stats;
mod sync;
mod wait;

/// The NATS client the JetStream queues connect through, the version elasticq builds with.
#[cfg(feature = "jetstream")]
#[cfg_attr(docsrs, doc(cfg(feature = "jetstream")))]
pub use async_nats;
pub use codec::{from_bytes, to_bytes, Codec, DecodeError, MAX_DECODE_DEPTH};
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub use codec::{serde_decode, serde_encode};
pub use config::{Config, Fairness, Overflow, MAX_CAPACITY, MAX_PARTITIONS};
pub use engine::{
    stable_hash, Engine, Entry, Hooks, LockFreeQueue, LockedQueue, MapQueue, NoRoom, Put, Room,
    StableHasher, TimeInQueue,
};
pub use error::{Error, PopError, PushError};
#[cfg(feature = "jetstream")]
#[cfg_attr(docsrs, doc(cfg(feature = "jetstream")))]
pub use jetstream::{
    check_stream_name, check_subject, BoxError, JetStreamCounters, JetStreamDelivery,
    JetStreamError, JetStreamMap, JetStreamOptions, JetStreamPushError, JetStreamQueue,
    MapRevision, StreamStorage,
};
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use layer::metrics;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use layer::metrics::Instrumented;
pub use layer::{Lane, Partitioned, PriorityLevels};
pub use message::{
    IntegerPriority, MapMessage, Message, OneLevel, PartitionKey, Prioritized, Priority, Recorded,
};
pub use persist::PersistError;
#[cfg(feature = "persist")]
#[cfg_attr(docsrs, doc(cfg(feature = "persist")))]
pub use persist::{
    AckError, Cut, Delivery, PersistOptions, PersistStats, Persistent, SyncPolicy,
    MAX_RECORD_BYTES, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES,
};
#[cfg(all(feature = "jetstream", feature = "persist"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "jetstream", feature = "persist"))))]
pub use processor::ForwarderHandle;
#[cfg(feature = "jetstream")]
#[cfg_attr(docsrs, doc(cfg(feature = "jetstream")))]
pub use processor::JetStreamProcessorHandle;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use processor::{
    Cause, DeadLetter, DeadLetterFn, Failure, NoDeadLetter, ProcessorBuilder, ProcessorError,
    ProcessorHandle, ProcessorOptions, ProcessorSettings, ProcessorSource, ProcessorStats,
    ShutdownReport, TakenBatch, ThreadProcessorHandle, MAX_BACKOFF,
};
pub use queue::{Closed, GeneratedQueue, Permit, Permits, ProcessingEvent};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use queue::{
    PopAsync, PopAsyncTimeout, PopBatchAsync, PopOneAsync, PushAsync, QueueSink, QueueStream,
    ReserveAsync, ReserveManyAsync,
};
pub use stats::Stats;

/// What generated code names besides the API: the plumbing between a generated queue and
/// the runtime. Reachable for the derive's expansion (through `elasticq::__private`), not
/// part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::{decode_varint, encode_varint};
    pub use crate::jetstream::{check_stream_name, check_subject};
    pub use crate::layer::{RefusalLanes, Retried};
    pub use crate::message::Durable;
    pub use crate::persist::{MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES};
    pub use crate::queue::Signals;
    pub use crate::wait::{Signal, Waiter};
}

#[doc(hidden)]
pub mod __doc {
    //! Support for the runtime's own examples; not part of the API.
    #[cfg(feature = "jetstream")]
    pub use crate::jetstream::doc::{Gauge, Note};
    #[cfg(feature = "persist")]
    pub use crate::persist::doc::{log_dir, Job, LogDir};
    pub use crate::queue::doc::Jobs;
}
