//! elasticq: typed, elastic concurrent queues.
//!
//! A queue grows when full (up to a maximum), shrinks when idle (down to a minimum), and never
//! loses, duplicates or reorders a producer's messages. Two engines share one API, the
//! [`Engine`] trait: [`LockedQueue`] (one mutex, predictable) and [`LockFreeQueue`] (lock-free
//! rings, the fastest with few threads).
//!
//! ```
//! use elasticq::{Config, LockFreeQueue, PushError};
//!
//! let queue = LockFreeQueue::new(Config::new().initial_capacity(2).max_capacity(4).min_capacity(1))?;
//! queue.push_batch(["a", "b", "c", "d"]).unwrap(); // grew from 2 to 4
//! assert_eq!(queue.push("e"), Err(PushError::Full("e"))); // at max: the message comes back
//! assert_eq!(queue.pop(), Some("a"));
//! # Ok::<(), elasticq::Error>(())
//! ```

pub use elasticq_runtime::{
    Config, Engine, Error, LockFreeQueue, LockedQueue, PopError, PushError, Stats, MAX_CAPACITY,
};

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
