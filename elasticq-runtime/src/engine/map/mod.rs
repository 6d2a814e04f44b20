//! `MapQueue`: PartitionedBuffer.Map's semantics, a keyed buffer where a later put replaces
//! the entry queued under its key (last write wins, or the newer version wins).
//!
//! Each partition is a hash map of entries plus the order their keys were first inserted in
//! (since they were last taken), under one lock (`shard`). Removing an entry leaves its place
//! in the order behind as a stale mark, which pops skip; marks are compacted when they
//! outnumber the entries.
//!
//! The engine reads a message's key and version through
//! [`MapMessage`](crate::message::MapMessage), the one trait from `message/` an engine
//! names: a keyed engine cannot be written without knowing what the key is.

mod entry;
mod shard;

use std::borrow::Borrow;
use std::hash::Hash;
use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

pub use self::entry::{Entry, Put};
use self::shard::Shard;
use super::hash::{partition_index, stable_hash};
use super::{push_each, Engine, Refusals};
use crate::config::Config;
use crate::error::{Error, PopError, PushError};
use crate::message::MapMessage;
use crate::stats::Stats;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};
use crate::wait::{deadline_after, pop_waiting, WaitQueue};

/// A keyed, partitioned buffer with PartitionedBuffer.Map's semantics: a put replaces the
/// entry queued under its key (last write wins; with a version, the newer version wins and
/// older ones are ignored and counted as stale), each entry counts its overwrites, and pops
/// return entries in the order their keys were first inserted since they were last taken.
/// Keys are routed to partitions by their [`stable_hash`]; `max_capacity` bounds the entries
/// of each partition.
///
/// ```
/// use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message, Put};
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Gauge { name: &'static str, value: u32 }
///
/// impl Message for Gauge {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Gauge";
/// }
/// impl MapMessage for Gauge {
///     type Key = &'static str;
///     type Version = ();
///     fn key(&self) -> &&'static str { &self.name }
///     fn version(&self) -> Option<&()> { None }
/// }
///
/// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
/// gauges.put(Gauge { name: "cpu", value: 1 })?;
/// gauges.put(Gauge { name: "mem", value: 5 })?;
/// assert_eq!(gauges.put(Gauge { name: "cpu", value: 2 })?, Put::Replaced(Gauge { name: "cpu", value: 1 }));
/// assert_eq!(gauges.get(&"cpu"), Some(Gauge { name: "cpu", value: 2 }));
/// let first = gauges.pop_entry().unwrap();
/// assert_eq!((first.message.value, first.overwrites), (2, 1)); // "cpu" was put first
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MapQueue<M: MapMessage> {
    shards: Box<[CachePadded<Mutex<Shard<M>>>]>,
    pop_turn: CachePadded<AtomicUsize>,
    closed: AtomicBool,
    /// Messages a refused batch hands back after the one a partition refused.
    rejected: Refusals,
    pop_waiters: WaitQueue,
    push_waiters: WaitQueue,
    config: Config,
    _messages: PhantomData<fn(M) -> M>,
}

impl<M: MapMessage> MapQueue<M> {
    /// The settings the map was built with, for its [`Lane`](crate::layer::Lane) impl
    /// (named apart from `Lane::config`, so that a call outside the crate finds the trait's).
    pub(crate) fn settings(&self) -> &Config {
        &self.config
    }

    fn shard_of<Q: Hash + ?Sized>(&self, key: &Q) -> &Mutex<Shard<M>> {
        &self.shards[partition_index(stable_hash(key), self.shards.len())]
    }

    /// Queues `message` under its key: a new entry, a replacement (last write wins, or the
    /// newer version wins), or an ignored stale put. `Full` only for a new key in a
    /// partition at `max_capacity`; `Closed` after [`close`](Engine::close). Either hands the
    /// message back.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message, Put};
    /// # struct Gauge { name: &'static str, seq: u32 }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = u32;
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&u32> { Some(&self.seq) } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// assert!(matches!(gauges.put(Gauge { name: "cpu", seq: 2 })?, Put::Inserted));
    /// assert!(matches!(gauges.put(Gauge { name: "cpu", seq: 1 })?, Put::Stale(_))); // older
    /// assert_eq!(gauges.stats().stale, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn put(&self, message: M) -> Result<Put<M>, PushError<M>> {
        let shard = self.shard_of(message.key());
        let mut shard = shard.lock();
        if self.closed.load(Ordering::Acquire) {
            shard.rejected += 1;
            shard.rejected_closed += 1;
            return Err(PushError::Closed(message));
        }
        let outcome = shard.put(message, &self.config)?;
        drop(shard);
        if matches!(outcome, Put::Inserted) {
            self.pop_waiters.notify_one();
        }
        Ok(outcome)
    }

    /// A copy of the message queued under `key` (or a borrowed form of it: `&str` for a
    /// `String` key).
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # #[derive(Clone)] struct Gauge { name: String }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = String; type Version = ();
    /// #   fn key(&self) -> &String { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu".into() })?;
    /// assert!(gauges.get("cpu").is_some());
    /// assert!(gauges.get("disk").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<M>
    where
        M: Clone,
        M::Key: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_with(key, M::clone)
    }

    /// Applies `read` to the message queued under `key`, without taking it out or cloning
    /// it; `None` if the key has no entry. `read` runs under the partition's lock: keep it
    /// short.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: String, value: f64 }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = String; type Version = ();
    /// #   fn key(&self) -> &String { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu".into(), value: 0.5 })?;
    /// assert_eq!(gauges.get_with("cpu", |gauge| gauge.value), Some(0.5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_with<Q, R>(&self, key: &Q, read: impl FnOnce(&M) -> R) -> Option<R>
    where
        M::Key: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let shard = self.shard_of(key).lock();
        shard.entries.get(key).map(|slot| read(&slot.message))
    }

    /// Removes and returns the message queued under `key` (counted as dequeued).
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: String }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = String; type Version = ();
    /// #   fn key(&self) -> &String { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu".into() })?;
    /// assert!(gauges.remove("cpu").is_some());
    /// assert!(gauges.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<M>
    where
        M::Key: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let removed = self.shard_of(key).lock().remove(key, &self.config);
        if removed.is_some() {
            self.push_waiters.notify_one();
        }
        removed
    }

    /// Pops the oldest entry with its overwrite count, visiting partitions in turn.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu" })?;
    /// gauges.put(Gauge { name: "cpu" })?;
    /// assert_eq!(gauges.pop_entry().map(|entry| entry.overwrites), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_entry(&self) -> Option<Entry<M>> {
        let shards = self.shards.len();
        let start = self.pop_turn.load(Ordering::Relaxed) % shards;
        for offset in 0..shards {
            let index = (start + offset) % shards;
            let popped = self.shards[index].lock().pop(&self.config);
            if let Some(entry) = popped {
                self.pop_turn.store(index + 1, Ordering::Relaxed);
                self.push_waiters.notify_one();
                return Some(entry);
            }
        }
        None
    }

    /// Pops up to `max` entries of partition `partition`, in first-insertion order.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu" })?;
    /// gauges.put(Gauge { name: "mem" })?;
    /// let names: Vec<_> = gauges.pop_entries_from(0, 10).iter().map(|e| e.message.name).collect();
    /// assert_eq!(names, ["cpu", "mem"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_entries_from(&self, partition: usize, max: usize) -> Vec<Entry<M>> {
        let Some(shard) = self.shards.get(partition) else {
            return Vec::new();
        };
        let mut shard = shard.lock();
        let mut taken = Vec::new();
        while taken.len() < max {
            match shard.pop(&self.config) {
                Some(entry) => taken.push(entry),
                None => break,
            }
        }
        drop(shard);
        if !taken.is_empty() {
            self.push_waiters.notify_all();
        }
        taken
    }

    /// How many partitions the map has.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// assert_eq!(MapQueue::<Gauge>::with_config(Config::new().partitions(3))?.partitions(), 3);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn partitions(&self) -> usize {
        self.shards.len()
    }

    /// The partition a key with stable hash `hash` is kept in.
    ///
    /// ```
    /// # use elasticq_runtime::{stable_hash, Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new().partitions(4))?;
    /// gauges.put(Gauge { name: "cpu" })?;
    /// assert_eq!(gauges.len_partition(gauges.partition_of_hash(stable_hash("cpu"))), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn partition_of_hash(&self, hash: u64) -> usize {
        partition_index(hash, self.shards.len())
    }

    /// Pops the oldest entry's message of partition `partition`.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu" })?;
    /// assert_eq!(gauges.pop_from(0).map(|g| g.name), Some("cpu"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_from(&self, partition: usize) -> Option<M> {
        self.pop_entries_from(partition, 1)
            .pop()
            .map(|entry| entry.message)
    }

    /// Pops up to `max` messages of partition `partition`, in first-insertion order.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// gauges.put(Gauge { name: "cpu" })?;
    /// assert_eq!(gauges.pop_batch_from(0, 8).len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_batch_from(&self, partition: usize, max: usize) -> Vec<M> {
        self.pop_entries_from(partition, max)
            .into_iter()
            .map(|entry| entry.message)
            .collect()
    }

    /// How many entries partition `partition` holds (0 if it does not exist).
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Lane, MapMessage, MapQueue, Message};
    /// # struct Gauge { name: &'static str }
    /// # impl Message for Gauge { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Gauge"; }
    /// # impl MapMessage for Gauge { type Key = &'static str; type Version = ();
    /// #   fn key(&self) -> &&'static str { &self.name } fn version(&self) -> Option<&()> { None } }
    /// let gauges = MapQueue::<Gauge>::with_config(Config::new())?;
    /// assert_eq!(gauges.len_partition(0), 0);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn len_partition(&self, partition: usize) -> usize {
        self.shards
            .get(partition)
            .map_or(0, |shard| shard.lock().entries.len())
    }
}

impl<M: MapMessage> Engine<M> for MapQueue<M> {
    fn with_config(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let config = config.partitions(config.get_partitions());
        let shards = (0..config.get_partitions())
            .map(|_| CachePadded::new(Mutex::new(Shard::new(&config))))
            .collect();
        Ok(Self {
            shards,
            pop_turn: CachePadded::new(AtomicUsize::new(0)),
            closed: AtomicBool::new(false),
            rejected: Refusals::new(),
            pop_waiters: WaitQueue::new(),
            push_waiters: WaitQueue::new(),
            config,
            _messages: PhantomData,
        })
    }

    fn push(&self, value: M) -> Result<(), PushError<M>> {
        self.put(value).map(drop)
    }

    fn pop(&self) -> Option<M> {
        self.pop_entry().map(|entry| entry.message)
    }

    fn push_batch<I: IntoIterator<Item = M>>(&self, items: I) -> Result<(), PushError<Vec<M>>> {
        push_each(items, self.is_closed(), &self.rejected, |value| {
            self.put(value).map(drop)
        })
    }

    fn pop_batch(&self, max: usize) -> Vec<M> {
        let mut batch = Vec::new();
        let shards = self.shards.len();
        let start = self.pop_turn.load(Ordering::Relaxed) % shards;
        for offset in 0..shards {
            if batch.len() >= max {
                break;
            }
            let index = (start + offset) % shards;
            let taken = self.pop_batch_from(index, max - batch.len());
            if !taken.is_empty() {
                self.pop_turn.store(index + 1, Ordering::Relaxed);
            }
            batch.extend(taken);
        }
        batch
    }

    fn push_timeout(&self, value: M, timeout: Duration) -> Result<(), PushError<M>> {
        let deadline = deadline_after(timeout);
        let mut pending = Some(value);
        let mut outcome = Ok(());
        self.push_waiters.wait_rechecking(deadline, || {
            let Some(value) = pending.take() else {
                return true;
            };
            match self.put(value) {
                Ok(_) => {
                    outcome = Ok(());
                    true
                }
                Err(PushError::Full(value)) => {
                    pending = Some(value);
                    false
                }
                Err(other) => {
                    outcome = Err(other);
                    true
                }
            }
        });
        match pending {
            Some(value) => Err(PushError::Full(value)),
            None => outcome,
        }
    }

    fn pop_timeout(&self, timeout: Duration) -> Result<M, PopError> {
        pop_waiting(
            &self.pop_waiters,
            timeout,
            || self.pop(),
            || self.is_closed(),
        )
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().entries.len())
            .sum()
    }

    fn capacity(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().entries.capacity())
            .sum()
    }

    fn clear(&self) {
        drop(self.drain());
    }

    fn drain(&self) -> Vec<M> {
        (0..self.shards.len())
            .flat_map(|partition| self.pop_batch_from(partition, usize::MAX))
            .collect()
    }

    fn close(&self) {
        for shard in self.shards.iter() {
            // Taken under each lock, so no put that saw the queue open is still in flight.
            let _shard = shard.lock();
            self.closed.store(true, Ordering::Release);
        }
        self.pop_waiters.notify_all();
        self.push_waiters.notify_all();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn stats(&self) -> Stats {
        let mut total = Stats {
            partitions: Vec::with_capacity(self.shards.len()),
            ..Stats::default()
        };
        for shard in self.shards.iter() {
            let partition = shard.lock().stats(&self.config);
            total.absorb(&partition);
            total.partitions.push(partition);
        }
        self.rejected.add_to(&mut total);
        total
    }
}
