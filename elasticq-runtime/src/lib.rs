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

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;
mod asynchronous;
mod codec;
mod config;
mod doc_queue;
mod engine;
mod error;
mod lane;
mod levels;
mod lock_free;
mod locked;
mod map;
mod message;
#[cfg(feature = "metrics")]
pub mod metrics;
mod partition;
#[cfg(feature = "persist")]
mod persist;
mod persist_error;
mod priority;
#[cfg(feature = "tokio")]
mod processor;
mod recorded;
mod stats;
mod sync;
mod wait;

pub use asynchronous::{GeneratedQueue, Signal, Signals, Waiter};
#[cfg(feature = "tokio")]
pub use asynchronous::{PopAsync, PopAsyncTimeout, PushAsync, QueueSink, QueueStream};
pub use codec::{
    decode_varint, encode_varint, from_bytes, to_bytes, Codec, DecodeError, MAX_DECODE_DEPTH,
};
#[cfg(feature = "serde")]
pub use codec::{serde_decode, serde_encode};
pub use config::{Config, Fairness, MAX_CAPACITY, MAX_PARTITIONS};
pub use engine::Engine;
pub use error::{Error, PopError, PushError};
pub use lane::Lane;
pub use levels::PriorityLevels;
pub use lock_free::LockFreeQueue;
pub use locked::LockedQueue;
pub use map::{Entry, MapMessage, MapQueue, Put};
pub use message::{Message, PartitionKey};
#[cfg(feature = "metrics")]
pub use metrics::Instrumented;
pub use partition::{stable_hash, Partitioned, StableHasher};
#[cfg(feature = "persist")]
pub use persist::{
    AckError, Cut, Delivery, PersistOptions, PersistStats, Persistent, SyncPolicy,
    MAX_RECORD_BYTES, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES,
};
pub use persist_error::PersistError;
pub use priority::{IntegerPriority, Prioritized, Priority};
#[cfg(feature = "tokio")]
pub use processor::{
    Cause, DeadLetter, DeadLetterFn, Failure, NoDeadLetter, ProcessorBuilder, ProcessorError,
    ProcessorHandle, ProcessorOptions, ProcessorSettings, ProcessorStats, ShutdownReport,
    TakenBatch, ThreadProcessorHandle, MAX_BACKOFF,
};
pub use recorded::{Durable, Recorded};
pub use stats::Stats;

#[doc(hidden)]
pub mod __doc {
    //! Support for the runtime's own examples; not part of the API.
    pub use crate::doc_queue::Jobs;
}
