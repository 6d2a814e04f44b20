//! Room held ahead of a push, and the hooks a lane calls back on.
//!
//! A [`Permit`](crate::Permit) holds one place in one lane (an engine: a partition's level)
//! from the moment it is granted until its message is pushed or it is dropped. The engines
//! implement [`Room`] themselves, because only the engine knows its own count of queued
//! messages: the locked engine under its lock, the lock-free engine with a counter it starts
//! keeping at its first reservation. The layers above never hold room; they only find the
//! engine a message would go to ([`Lane::room_for`](crate::Lane::room_for)).
//!
//! The invariant every implementation keeps, at every moment: queued messages plus held
//! places never exceed `max_capacity`. So a place held is a push that cannot be refused.

use std::fmt;
use std::sync::Arc;

/// Why a place could not be held: the lane is at its maximum, or closed.
///
/// ```
/// use elasticq_runtime::{Config, LockedQueue, NoRoom, Room};
///
/// let lane = LockedQueue::<u8>::new(Config::new().initial_capacity(1).max_capacity(1))?;
/// lane.try_reserve(1).unwrap();
/// assert_eq!(lane.try_reserve(1), Err(NoRoom::Full)); // the one place is held
/// lane.close();
/// assert_eq!(lane.try_reserve(1), Err(NoRoom::Closed));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoRoom {
    /// Queued messages and held places fill the lane's maximum.
    Full,
    /// The lane was closed.
    Closed,
}

impl fmt::Display for NoRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "the queue is full",
            Self::Closed => "the queue is closed",
        })
    }
}

impl std::error::Error for NoRoom {}

/// An engine that can hold places for messages not pushed yet.
///
/// Implementations keep `queued + held <= max_capacity` at every moment, so that
/// [`push_reserved`](Self::push_reserved) is never refused.
///
/// ```
/// use elasticq_runtime::{Config, LockedQueue, Room};
///
/// let lane = LockedQueue::new(Config::new().initial_capacity(2).max_capacity(2))?;
/// lane.try_reserve(1).unwrap();
/// lane.push(1).unwrap();
/// assert!(lane.push(2).is_err()); // the second place is held
/// lane.push_reserved(3); // never refused
/// assert_eq!(lane.drain(), vec![1, 3]);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub trait Room<T>: Send + Sync {
    /// Holds `n` places, all or none; never waits.
    fn try_reserve(&self, n: usize) -> Result<(), NoRoom>;
    /// Gives back `n` places held by [`try_reserve`](Self::try_reserve) and not used.
    fn release(&self, n: usize);
    /// Pushes `value` into a place held by [`try_reserve`](Self::try_reserve), which it
    /// uses up. Never refused: not when the lane is at its maximum (the place was counted
    /// in it), and not when the lane was closed after the place was granted.
    fn push_reserved(&self, value: T);
}

/// What a lane calls back on: the weight of a message, for byte bounds, and what to do with
/// a message evicted under [`Overflow::DropOldest`](crate::Overflow::DropOldest). Set once
/// when a queue is built ([`Lane::set_hooks`](crate::Lane::set_hooks)), before it is
/// shared.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use elasticq_runtime::{Config, Hooks, LockedQueue, Overflow};
///
/// let evicted = Arc::new(Mutex::new(Vec::new()));
/// let seen = Arc::clone(&evicted);
/// let mut lane = LockedQueue::new(Config::new().initial_capacity(1).max_capacity(1).overflow(Overflow::DropOldest))?;
/// lane.set_hooks(Hooks::new().evicted(move |m: u8| seen.lock().unwrap().push(m)));
/// lane.push(1).unwrap();
/// lane.push(2).unwrap();
/// assert_eq!(*evicted.lock().unwrap(), vec![1]);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct Hooks<T> {
    pub(crate) weight: Option<fn(&T) -> usize>,
    pub(crate) evicted: Option<Arc<dyn Fn(T) + Send + Sync>>,
}

impl<T> Hooks<T> {
    /// No hooks: every message weighs 0 and evicted messages are dropped.
    ///
    /// ```
    /// let hooks = elasticq_runtime::Hooks::<u8>::new();
    /// # drop(hooks);
    /// ```
    pub fn new() -> Self {
        Self {
            weight: None,
            evicted: None,
        }
    }

    /// Weighs each message with `weight`, for [`Config::max_bytes`](crate::Config::max_bytes)
    /// and [`Stats::bytes`](crate::Stats::bytes). It must give the same weight for a message
    /// when it is pushed and when it is popped.
    ///
    /// ```
    /// let hooks = elasticq_runtime::Hooks::new().weight(String::len);
    /// # drop(hooks);
    /// ```
    #[must_use]
    pub fn weight(mut self, weight: fn(&T) -> usize) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Hands every message evicted under `Overflow::DropOldest` to `evicted`. It runs on the
    /// thread of the push that evicted it, after the push took its place.
    ///
    /// ```
    /// let hooks = elasticq_runtime::Hooks::new().evicted(|m: u32| eprintln!("dropped {m}"));
    /// # drop(hooks);
    /// ```
    #[must_use]
    pub fn evicted(mut self, evicted: impl Fn(T) + Send + Sync + 'static) -> Self {
        self.evicted = Some(Arc::new(evicted));
        self
    }

    /// The weight of `value` (0 without a weight function).
    #[inline]
    pub(crate) fn weigh(&self, value: &T) -> usize {
        self.weight.map_or(0, |weight| weight(value))
    }

    /// Hands evicted messages to the hook, or drops them.
    pub(crate) fn hand_over(&self, evicted: impl IntoIterator<Item = T>) {
        match &self.evicted {
            Some(hook) => evicted.into_iter().for_each(|value| hook(value)),
            None => evicted.into_iter().for_each(drop),
        }
    }
}

impl<T> Default for Hooks<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Hooks<T> {
    fn clone(&self) -> Self {
        Self {
            weight: self.weight,
            evicted: self.evicted.clone(),
        }
    }
}

impl<T> fmt::Debug for Hooks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("weight", &self.weight.is_some())
            .field("evicted", &self.evicted.is_some())
            .finish()
    }
}
