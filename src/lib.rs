//! elasticq: typed, elastic concurrent queues.
//!
//! Derive [`ElasticQueue`] on a message type and declare how its queue behaves; the derive
//! generates a strongly typed queue (`SampleQueue` for `Sample`) over one of two engines. A
//! queue grows when full (up to a maximum), shrinks when idle (down to a minimum), and never
//! loses, duplicates or reorders a producer's messages.
//!
//! ```
//! use elasticq::{ElasticQueue, PushError};
//!
//! #[derive(ElasticQueue, Debug, PartialEq)]
//! #[elastic_queue(engine = lock_free, capacity(initial = 2, min = 1, max = 4))]
//! struct Sample {
//!     sensor: u32,
//!     value: f64,
//! }
//!
//! let queue = SampleQueue::new()?;
//! for sensor in 0..4 {
//!     queue.push(Sample { sensor, value: 0.5 }).unwrap(); // grows from 2 to 4
//! }
//! let refused = queue.push(Sample { sensor: 4, value: 0.5 });
//! assert!(matches!(refused, Err(PushError::Full(Sample { sensor: 4, .. })))); // handed back
//! assert_eq!(queue.pop().map(|s| s.sensor), Some(0));
//! # Ok::<(), elasticq::Error>(())
//! ```
//!
//! The engines are usable directly too: [`LockedQueue`] (one mutex, predictable) and
//! [`LockFreeQueue`] (lock-free rings, the fastest with few threads) share the [`Engine`]
//! trait.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub use elasticq_macros::{queue, Codec, ElasticQueue, Priority};
#[cfg(all(feature = "jetstream", feature = "persist"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "jetstream", feature = "persist"))))]
pub use elasticq_runtime::ForwarderHandle;
#[cfg(feature = "jetstream")]
#[cfg_attr(docsrs, doc(cfg(feature = "jetstream")))]
pub use elasticq_runtime::{
    async_nats, check_stream_name, check_subject, BoxError, JetStreamCounters, JetStreamDelivery,
    JetStreamError, JetStreamMap, JetStreamOptions, JetStreamProcessorHandle, JetStreamPushError,
    JetStreamQueue, MapRevision, StreamStorage,
};
pub use elasticq_runtime::{
    from_bytes, stable_hash, to_bytes, Codec, Config, DecodeError, Engine, Entry, Error, Fairness,
    Hooks, IntegerPriority, Lane, LockFreeQueue, LockedQueue, MapMessage, MapQueue, Message,
    NoRoom, Overflow, PartitionKey, Partitioned, PopError, Prioritized, Priority, PriorityLevels,
    PushError, Put, Room, StableHasher, Stats, MAX_CAPACITY, MAX_DECODE_DEPTH, MAX_PARTITIONS,
};
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use elasticq_runtime::{metrics, Instrumented};
#[cfg(feature = "persist")]
#[cfg_attr(docsrs, doc(cfg(feature = "persist")))]
pub use elasticq_runtime::{
    AckError, Cut, Delivery, PersistOptions, PersistStats, Persistent, SyncPolicy,
    MAX_RECORD_BYTES, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES,
};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use elasticq_runtime::{
    Cause, DeadLetter, DeadLetterFn, Failure, NoDeadLetter, PopAsync, PopAsyncTimeout,
    PopBatchAsync, PopOneAsync, ProcessorBuilder, ProcessorError, ProcessorHandle,
    ProcessorOptions, ProcessorSettings, ProcessorSource, ProcessorStats, PushAsync, QueueSink,
    QueueStream, ReserveAsync, ReserveManyAsync, ShutdownReport, TakenBatch, ThreadProcessorHandle,
    MAX_BACKOFF,
};
pub use elasticq_runtime::{Closed, OneLevel, Permit, Permits};
pub use elasticq_runtime::{GeneratedQueue, PersistError, ProcessingEvent, Recorded};

/// What generated code names, through one path (`::elasticq::__private`, or the path given
/// with `crate = ...`), so that the user's own items named `Result`, `Vec` or `Option` cannot
/// capture it. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use core::borrow::Borrow;
    pub use core::fmt::{Debug, Formatter, Result as FmtResult};
    pub use core::hash::Hash;
    pub use core::iter::IntoIterator;
    pub use core::marker::PhantomData;
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use core::time::Duration;
    pub use std::format;
    pub use std::string::String;
    pub use std::vec::Vec;

    pub use elasticq_runtime::__private::{
        decode_varint, encode_varint, Durable, RefusalLanes, Retried, Signals,
    };
    #[cfg(feature = "serde")]
    pub use elasticq_runtime::{serde_decode, serde_encode};
    pub use elasticq_runtime::{
        stable_hash, Codec, Config, DecodeError, Engine, Entry, Error, Fairness, Hooks,
        IntegerPriority, Lane, LockFreeQueue, LockedQueue, MapMessage, MapQueue, Message, Overflow,
        PartitionKey, Partitioned, PopError, Prioritized, Priority, PriorityLevels, PushError, Put,
        Stats,
    };
    #[cfg(feature = "persist")]
    pub use elasticq_runtime::{Delivery, PersistOptions, PersistStats, Persistent, SyncPolicy};
    pub use elasticq_runtime::{GeneratedQueue, PersistError, ProcessingEvent, Recorded};
    pub use elasticq_runtime::{NoRoom, OneLevel, Permit, Permits};
    #[cfg(feature = "tokio")]
    pub use elasticq_runtime::{
        PopAsync, PopAsyncTimeout, PopBatchAsync, PopOneAsync, ProcessorBuilder, PushAsync,
        QueueSink, QueueStream, ReserveAsync, ReserveManyAsync,
    };
    pub use std::convert::AsRef;
    pub use std::sync::Arc;

    #[cfg(not(feature = "tokio"))]
    pub use crate::__elasticq_tokio_disabled as tokio_items;
    /// Expands to the generated queue's async methods when elasticq has its `tokio`
    /// feature, and to nothing otherwise.
    #[cfg(feature = "tokio")]
    pub use crate::__elasticq_tokio_enabled as tokio_items;
    pub use std::path::Path;

    #[cfg(not(feature = "jetstream"))]
    pub use crate::__elasticq_jetstream_disabled as jetstream_enabled;
    /// Expands to nothing when elasticq has its `jetstream` feature, and to a compile error
    /// on the `jetstream` key otherwise.
    #[cfg(feature = "jetstream")]
    pub use crate::__elasticq_jetstream_enabled as jetstream_enabled;
    #[cfg(not(feature = "metrics"))]
    pub use crate::__elasticq_metrics_disabled as metrics_enabled;
    /// Expands to nothing when elasticq has its `metrics` feature, and to a compile error on
    /// the `metrics` key otherwise.
    #[cfg(feature = "metrics")]
    pub use crate::__elasticq_metrics_enabled as metrics_enabled;
    #[cfg(not(feature = "persist"))]
    pub use crate::__elasticq_persist_disabled as persist_enabled;
    /// Expands to nothing when elasticq has its `persist` feature, and to a compile error
    /// on the `persist` key otherwise: a persisted queue needs the log.
    #[cfg(feature = "persist")]
    pub use crate::__elasticq_persist_enabled as persist_enabled;
    #[cfg(not(feature = "serde"))]
    pub use crate::__elasticq_serde_disabled as serde_enabled;
    /// The same for `codec = serde` and the `serde` feature.
    #[cfg(feature = "serde")]
    pub use crate::__elasticq_serde_enabled as serde_enabled;
    #[cfg(not(feature = "jetstream"))]
    pub use crate::__elasticq_tokio_disabled as jetstream_items;
    /// Expands to a JetStream queue's items when elasticq has its `jetstream` feature, and
    /// to nothing otherwise (`jetstream_enabled` reports the missing feature once).
    #[cfg(feature = "jetstream")]
    pub use crate::__elasticq_tokio_enabled as jetstream_items;
    #[cfg(feature = "metrics")]
    pub use elasticq_runtime::Instrumented;
    #[cfg(feature = "jetstream")]
    pub use elasticq_runtime::{
        async_nats, JetStreamCounters, JetStreamDelivery, JetStreamError, JetStreamMap,
        JetStreamOptions, JetStreamPushError, JetStreamQueue, MapRevision, StreamStorage,
    };

    /// `M: CloneFor<Q>` holds exactly when `M: Clone`; it mentions the method's own type
    /// parameter `Q`, and has no supertrait, so that a message that is not `Clone` makes the
    /// generated `get` uncallable instead of making its definition fail to compile.
    pub trait CloneFor<Q: ?Sized> {
        /// A clone of `self`.
        fn cloned(&self) -> Self;
    }
    impl<M: Clone, Q: ?Sized> CloneFor<Q> for M {
        #[inline]
        fn cloned(&self) -> Self {
            self.clone()
        }
    }

    /// `M: LevelOf<L>` holds when `M` has priority levels named by `L`. Queues declared with
    /// `#[elasticq::queue]` bound `pop_priority` by it: a bound naming the method's own type
    /// parameter is checked where the method is called, so a message without priorities
    /// leaves the method uncallable rather than the declaration uncompilable.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has no priority levels",
        label = "`pop_priority` and `len_priority` need a message with a priority",
        note = "mark a field of `{Self}` with `#[elastic_queue(priority)]` (a `Priority` type) or `#[elastic_queue(priority(levels = N))]` (an integer), and pass a value of that field's type"
    )]
    pub trait LevelOf<L> {
        /// The index of `level`, as `Prioritized::level_index`.
        fn index_of(level: &L) -> Option<usize>;
    }
    impl<M: Prioritized> LevelOf<M::Level> for M {
        #[inline]
        fn index_of(level: &M::Level) -> Option<usize> {
            M::level_index(level)
        }
    }

    /// `M: KeyOf<K>` holds when `M` is routed by a key of type `K`; `partition_of` of a queue
    /// declared with `#[elasticq::queue]` is bounded by it, for the reason given on
    /// [`LevelOf`].
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has no partition key to look up",
        label = "`partition_of` needs a message routed by a key",
        note = "mark a field of `{Self}` with `#[elastic_queue(partition_key)]`, or write `partition_key = self` on it; a message routed by `partition_key = Self::method` has no key type a queue declared elsewhere can name: ask the queue its derive generates"
    )]
    pub trait KeyOf<K: ?Sized> {}
    impl<M: PartitionKey> KeyOf<M::Key> for M {}
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_metrics_enabled {
    () => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_metrics_disabled {
    () => {
        ::core::compile_error!(
            "`metrics` needs elasticq's `metrics` feature, which is off: enable it in Cargo.toml (`elasticq = { version = \"...\", features = [\"metrics\"] }`)"
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_tokio_enabled {
    ($($items:tt)*) => { $($items)* };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_tokio_disabled {
    ($($items:tt)*) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_persist_enabled {
    () => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_persist_disabled {
    () => {
        ::core::compile_error!(
            "`persist` needs elasticq's `persist` feature, which is off: enable it in Cargo.toml (`elasticq = { version = \"...\", features = [\"persist\"] }`)"
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_serde_enabled {
    () => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_serde_disabled {
    () => {
        ::core::compile_error!(
            "`codec = serde` needs elasticq's `serde` feature, which is off: enable it in Cargo.toml (`elasticq = { version = \"...\", features = [\"serde\"] }`)"
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_jetstream_enabled {
    () => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __elasticq_jetstream_disabled {
    () => {
        ::core::compile_error!(
            "`jetstream` needs elasticq's `jetstream` feature, which is off: enable it in Cargo.toml (`elasticq = { version = \"...\", features = [\"jetstream\"] }`)"
        );
    };
}

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// MIGRATING.md's "after" examples (elasticq 0.4 code), compiled and run as doctests; its
/// "before" examples are elasticq 0.3.0 code, marked `ignore`.
#[cfg(doctest)]
#[doc = include_str!("../MIGRATING.md")]
struct MigratingDoctests;
