//! Layers: queues composed over engines, and [`Lane`], an engine seen by the layers above it,
//! level by level.
//!
//! A layer holds engines (or other layers) and is itself an [`Engine`], so layers stack in
//! the order the derive composes them: priority levels over the engine, partitions over the
//! levels, instrumentation over the partitions. Layers import engines, never the reverse;
//! they are bounded by the message traits of `message/` (a partition routes by
//! [`Message::route`](crate::message::Message::route), the levels rank by
//! [`Prioritized`](crate::message::Prioritized)), and those traits name [`Lane`] in turn
//! (`Message::Lanes`), so the two folders are read together.
//!
//! - `levels`: one engine per priority level, strict or fair.
//! - `partition`: lanes routed by the stable hash of a partition key.
//! - `metrics/`: the `metrics` instrumentation over any lane.
//! - `retried`: the wrapper of each engine of a generated queue that keeps the tries of a
//!   push waiting for room out of the `rejected` count.

mod levels;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
mod partition;
mod retried;

pub use self::levels::PriorityLevels;
pub use self::partition::Partitioned;
pub use self::retried::{RefusalLanes, Retried};

use crate::config::Config;
use crate::engine::{Engine, Hooks, LockFreeQueue, LockedQueue, MapQueue, Room, TimeInQueue};
use crate::error::PushError;
use crate::message::MapMessage;

/// A queue the partition layer can hold one of per partition: an [`Engine`] that may have
/// priority levels. A plain engine is a lane of one level, which is what the provided methods
/// describe; [`PriorityLevels`] overrides them.
///
/// ```
/// use elasticq_runtime::{Config, Engine, Lane, LockedQueue};
///
/// let lane = LockedQueue::with_config(Config::new())?;
/// lane.push(5u32).unwrap();
/// assert_eq!(lane.levels(), 1);
/// assert_eq!(lane.len_level(0), 1);
/// assert_eq!(lane.pop_level(1), None); // no such level
/// assert_eq!(lane.pop_level(0), Some(5));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub trait Lane<T>: Engine<T> {
    /// The settings the lane was built with.
    fn config(&self) -> &Config;

    /// How many priority levels the lane has.
    fn levels(&self) -> usize {
        1
    }

    /// The levels' names, lowest first, when the message's priority type names them
    /// ([`Prioritized::LEVEL_NAMES`](crate::Prioritized::LEVEL_NAMES)); empty otherwise.
    fn level_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// Pops the oldest message of `level`; `None` if it is empty or there is no such level.
    fn pop_level(&self, level: usize) -> Option<T> {
        if level == 0 {
            self.pop()
        } else {
            None
        }
    }

    /// Runs `f`, inside which the calling thread makes several calls on this lane or lanes
    /// of its kind, with their per-call set-up done once: for
    /// [`LockFreeQueue`], one epoch pin covers every call inside (a
    /// nested pin costs no fence). The layers run a pop that looks at several lanes this way.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Engine, Lane, LockFreeQueue};
    /// let lanes = [LockFreeQueue::with_config(Config::new())?, LockFreeQueue::with_config(Config::new())?];
    /// lanes[1].push(7u8).unwrap();
    /// let found = lanes[0].pinned(|| lanes.iter().find_map(|lane| lane.pop()));
    /// assert_eq!(found, Some(7));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }

    /// How many messages `level` holds (0 for a level that does not exist).
    fn len_level(&self, level: usize) -> usize {
        if level == 0 {
            self.len()
        } else {
            0
        }
    }

    /// The engine a message like `like` would be pushed into, where places can be held for
    /// it ([`Room`]); with `None`, the first one (a lane of one engine has no other). `None`
    /// for a lane that cannot hold places (map mode, where a put may replace an entry rather
    /// than take a place).
    ///
    /// ```
    /// use elasticq_runtime::{Config, Engine, Lane, LockedQueue};
    /// let lane = LockedQueue::with_config(Config::new().initial_capacity(1).max_capacity(1))?;
    /// let room = lane.room_for(None).expect("an engine holds places");
    /// room.try_reserve(1).unwrap();
    /// assert!(lane.push(1u8).is_err()); // its one place is held
    /// room.push_reserved(2);
    /// assert_eq!(lane.pop(), Some(2));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    fn room_for(&self, like: Option<&T>) -> Option<&dyn Room<T>>
    where
        T: Send,
    {
        let _ = like;
        None
    }

    /// Sets the weight function and the eviction hook of every engine in the lane. Called
    /// once, when the queue is built and before it is shared.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Engine, Hooks, Lane, LockedQueue};
    /// let mut lane = LockedQueue::with_config(Config::new().max_bytes(8))?;
    /// Lane::set_hooks(&mut lane, &Hooks::new().weight(|s: &String| s.len()));
    /// lane.push("12345".to_string()).unwrap();
    /// assert!(lane.push("12345".to_string()).is_err()); // 10 bytes would exceed 8
    /// assert_eq!(lane.stats().bytes, 5);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    fn set_hooks(&mut self, hooks: &Hooks<T>) {
        let _ = hooks;
    }

    /// Has every engine in the lane follow one sampled message at a time from its push to
    /// its pop and report the time it spent queued to `record` (the metrics layer's
    /// time-in-queue histogram). Which pushes are sampled is the metrics layer's choice; a
    /// lane that cannot follow messages (map mode, whose puts may replace an entry in place)
    /// ignores it. Called once, when the queue is built and before it is shared.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Engine, Lane, LockedQueue, TimeInQueue};
    /// let mut lane = LockedQueue::<u8>::with_config(Config::new())?;
    /// lane.follow_time_in_queue(&TimeInQueue::new(|took| println!("{took:?}")));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        let _ = record;
    }

    /// A push by a caller that waits for room and tries again when woken (`push_async`, a
    /// sink): `push`, except that over [`Retried`] engines (as the generated queues hold
    /// them) a `Full` refusal is not counted in `stats().rejected`. The layers route it to
    /// the lane `push` would take; a plain engine counts it as `push` does.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Engine, Lane, LockedQueue};
    /// let lane = LockedQueue::with_config(Config::new())?;
    /// lane.push_retry(5u32).unwrap();
    /// assert_eq!(lane.pop(), Some(5));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    #[inline]
    fn push_retry(&self, value: T) -> Result<(), PushError<T>> {
        self.push(value)
    }
}

impl<T> Lane<T> for LockedQueue<T> {
    fn config(&self) -> &Config {
        LockedQueue::config(self)
    }

    fn room_for(&self, _like: Option<&T>) -> Option<&dyn Room<T>>
    where
        T: Send,
    {
        Some(self)
    }

    fn set_hooks(&mut self, hooks: &Hooks<T>) {
        LockedQueue::set_hooks(self, hooks.clone());
    }

    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        LockedQueue::follow_time_in_queue(self, record);
    }
}

impl<T> Lane<T> for LockFreeQueue<T> {
    fn config(&self) -> &Config {
        LockFreeQueue::config(self)
    }

    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        LockFreeQueue::pinned(self, f)
    }

    fn room_for(&self, _like: Option<&T>) -> Option<&dyn Room<T>>
    where
        T: Send,
    {
        Some(self)
    }

    fn set_hooks(&mut self, hooks: &Hooks<T>) {
        LockFreeQueue::set_hooks(self, hooks.clone());
    }

    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        LockFreeQueue::follow_time_in_queue(self, record);
    }
}

impl<M: MapMessage> Lane<M> for MapQueue<M> {
    fn config(&self) -> &Config {
        MapQueue::settings(self)
    }
}
