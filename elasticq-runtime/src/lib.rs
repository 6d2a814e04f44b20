//! The runtime behind [elasticq](https://docs.rs/elasticq): elastic queue engines that grow
//! when full, shrink when idle, and never lose a message.
//!
//! Users depend on the `elasticq` crate, which re-exports what is public here. Two engines
//! implement [`Engine`]:
//! - [`LockedQueue`]: one `parking_lot` mutex around a ring; predictable under any load.
//! - [`LockFreeQueue`]: a chain of lock-free rings with epoch-based reclamation; the fastest
//!   with few threads, and it grows while producers push even when no consumer runs.
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

mod config;
mod engine;
mod error;
mod lock_free;
mod locked;
mod message;
mod stats;
mod sync;

pub use config::{Config, MAX_CAPACITY};
pub use engine::Engine;
pub use error::{Error, PopError, PushError};
pub use lock_free::LockFreeQueue;
pub use locked::LockedQueue;
pub use message::Message;
pub use stats::Stats;
