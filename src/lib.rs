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

pub use elasticq_macros::{queue, ElasticQueue};
pub use elasticq_runtime::{
    Config, Engine, Error, LockFreeQueue, LockedQueue, Message, PopError, PushError, Stats,
    MAX_CAPACITY,
};

/// What generated code names, through one path (`::elasticq::__private`, or the path given
/// with `crate = ...`), so that the user's own items named `Result`, `Vec` or `Option` cannot
/// capture it. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use core::fmt::{Debug, Formatter, Result as FmtResult};
    pub use core::iter::IntoIterator;
    pub use core::marker::PhantomData;
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use core::time::Duration;
    pub use std::vec::Vec;

    pub use elasticq_runtime::{
        Config, Error, LockFreeQueue, LockedQueue, Message, PopError, PushError, Stats,
    };
}

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
