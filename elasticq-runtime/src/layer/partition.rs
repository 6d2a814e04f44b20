//! `Partitioned`: a queue split into independent lanes, routed by a partition key.
//!
//! Producers of different keys touch different lanes, so they contend only when they share a
//! partition. Consumers take from one partition (`pop_from`, one worker per partition) or
//! from all of them in turn (`pop`).

use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::config::Config;
use crate::engine::{partition_index, push_each, Refusals};
use crate::engine::{Engine, Hooks, Room};
use crate::error::{Error, PopError, PushError};
use crate::layer::Lane;
use crate::message::Message;
use crate::stats::Stats;
use crate::sync::{AtomicUsize, Ordering};
use crate::wait::{pop_waiting, WaitQueue};

/// A queue of `partitions` lanes `L` (engines, or [`PriorityLevels`](crate::PriorityLevels)
/// over engines). A message goes to the partition its key hashes to
/// ([`Message::route`], hashed with [`stable_hash`](crate::stable_hash), the same in every run and process), or
/// round robin without a key. Order is FIFO per partition (and per level within it).
///
/// `pop` and `pop_batch` visit the partitions in turn, starting after the partition the
/// last pop took from, so a busy partition cannot starve the others. With priority levels
/// and [`Fairness::Strict`](crate::Fairness::Strict), `pop` takes the highest level
/// non-empty in any partition (partitions taking turns within a level); with
/// [`Fairness::Fair`](crate::Fairness::Fair), each partition applies the fairness bound to its
/// own levels and the partitions take turns.
///
/// ```
/// use elasticq_runtime::{stable_hash, Config, Engine, Lane, LockedQueue, Message, Partitioned};
///
/// #[derive(Debug, PartialEq)]
/// struct Reading { sensor: u32, value: f64 }
///
/// impl Message for Reading {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Reading";
///     fn route(&self) -> Option<u64> { Some(stable_hash(&self.sensor)) }
/// }
///
/// let readings: Partitioned<Reading, LockedQueue<Reading>> =
///     Partitioned::with_config(Config::new().partitions(4))?;
/// readings.push(Reading { sensor: 7, value: 0.5 }).unwrap();
/// let partition = readings.partition_of_hash(stable_hash(&7u32));
/// assert_eq!(readings.len_partition(partition), 1);
/// assert_eq!(readings.pop_from(partition).map(|r| r.sensor), Some(7));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct Partitioned<M, L> {
    lanes: Box<[CachePadded<L>]>,
    /// The next partition for a message without a key.
    push_turn: CachePadded<AtomicUsize>,
    /// The partition the next `pop` looks at first.
    pop_turn: CachePadded<AtomicUsize>,
    waiters: WaitQueue,
    /// Messages a refused batch hands back after the one a lane refused (lanes count that
    /// one).
    rejected: Refusals,
    config: Config,
    /// Lanes with several levels under strict priority: pops look across partitions.
    strict_levels: bool,
    _messages: PhantomData<fn(M) -> M>,
}

impl<M: Message, L: Lane<M>> Partitioned<M, L> {
    /// How many partitions the queue has.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(3))?;
    /// assert_eq!(queue.partitions(), 3);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn partitions(&self) -> usize {
        self.lanes.len()
    }

    /// The partition a key with stable hash `hash` is routed to.
    ///
    /// ```
    /// # use elasticq_runtime::{stable_hash, Config, Engine, LockedQueue, Partitioned};
    /// # struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(8))?;
    /// assert!(queue.partition_of_hash(stable_hash("client-1")) < 8);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn partition_of_hash(&self, hash: u64) -> usize {
        partition_index(hash, self.lanes.len())
    }

    /// The lane of partition `partition`, or `None` past the last one.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2))?;
    /// assert!(queue.partition(1).is_some());
    /// assert!(queue.partition(2).is_none());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn partition(&self, partition: usize) -> Option<&L> {
        self.lanes.get(partition).map(|lane| &**lane)
    }

    /// Pops the oldest message of partition `partition` (highest level first); `None` if it
    /// is empty or does not exist.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # struct M(u8); impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2))?;
    /// queue.push(M(1)).unwrap(); // no key: round robin, starting at partition 0
    /// assert_eq!(queue.pop_from(0).map(|m| m.0), Some(1));
    /// assert!(queue.pop_from(5).is_none());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop_from(&self, partition: usize) -> Option<M> {
        self.lanes.get(partition)?.pop()
    }

    /// Pops up to `max` messages of partition `partition`, oldest first (highest level
    /// first); empty if the partition does not exist.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # struct M(u8); impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(1))?;
    /// queue.push_batch([M(1), M(2), M(3)]).unwrap();
    /// assert_eq!(queue.pop_batch_from(0, 2).len(), 2);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop_batch_from(&self, partition: usize, max: usize) -> Vec<M> {
        self.lanes
            .get(partition)
            .map_or_else(Vec::new, |lane| lane.pop_batch(max))
    }

    /// How many messages partition `partition` holds (0 if it does not exist).
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2))?;
    /// queue.push_batch([M, M, M]).unwrap();
    /// assert_eq!((queue.len_partition(0), queue.len_partition(1)), (2, 1));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn len_partition(&self, partition: usize) -> usize {
        self.lanes.get(partition).map_or(0, |lane| lane.len())
    }

    #[inline]
    fn lane_for(&self, message: &M) -> &L {
        &self.lanes[self.route(message.route())]
    }

    /// The partition a message with this [`Message::route`] goes to: its key's partition, or
    /// the next in turn without a key (each such call moves the turn). A layer that must know
    /// the partition before it pushes (the persistence layer, which writes that partition's
    /// log first) routes with it, then pushes with [`push_to`](Self::push_to).
    ///
    /// ```
    /// # use elasticq_runtime::{stable_hash, Config, Engine, LockedQueue, Partitioned};
    /// # struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2))?;
    /// assert_eq!((queue.route(None), queue.route(None)), (0, 1)); // no key: round robin
    /// let hash = stable_hash("client-7");
    /// assert_eq!(queue.route(Some(hash)), queue.partition_of_hash(hash));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    #[inline]
    pub fn route(&self, route: Option<u64>) -> usize {
        let partitions = self.lanes.len();
        if partitions == 1 {
            return 0;
        }
        match route {
            Some(hash) => partition_index(hash, partitions),
            None => self.push_turn.fetch_add(1, Ordering::Relaxed) % partitions,
        }
    }

    /// Pushes into `partition` whatever the message's key, for a layer that routed it already
    /// (the persistence layer writes the message to that partition's log first). A partition
    /// that does not exist refuses the message with `Full`.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # #[derive(Debug, PartialEq)] struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2))?;
    /// queue.push_to(1, M).unwrap();
    /// assert_eq!(queue.len_partition(1), 1);
    /// assert!(queue.push_to(2, M).unwrap_err().is_full());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    #[inline]
    pub fn push_to(&self, partition: usize, value: M) -> Result<(), PushError<M>> {
        self.push_into(partition, value, L::push)
    }

    /// Pushes `value` into `partition`'s lane with `push` (`push` or `push_retry`).
    #[inline]
    fn push_into(
        &self,
        partition: usize,
        value: M,
        push: impl FnOnce(&L, M) -> Result<(), PushError<M>>,
    ) -> Result<(), PushError<M>> {
        let Some(lane) = self.lanes.get(partition) else {
            return Err(PushError::Full(value));
        };
        push(lane, value)?;
        self.waiters.notify_one();
        Ok(())
    }

    /// [`push_to`](Self::push_to) as a [`Lane::push_retry`]: a `Full` refusal of a
    /// [`Retried`](crate::layer::Retried) lane is not counted.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # #[derive(Debug, PartialEq)] struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2))?;
    /// queue.push_retry_to(1, M).unwrap();
    /// assert_eq!(queue.len_partition(1), 1);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push_retry_to(&self, partition: usize, value: M) -> Result<(), PushError<M>> {
        self.push_into(partition, value, L::push_retry)
    }

    /// [`push_to`](Self::push_to), waiting up to `timeout` for room.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::{Config, Engine, LockedQueue, Partitioned};
    /// # struct M; impl elasticq_runtime::Message for M { type Queue = (); type Lanes<E: elasticq_runtime::Lane<Self>> = E; const NAME: &'static str = "M"; }
    /// let queue = Partitioned::<M, LockedQueue<M>>::with_config(Config::new().partitions(2).max_capacity(1))?;
    /// queue.push_timeout_to(0, M, Duration::from_millis(1)).unwrap();
    /// assert!(queue.push_timeout_to(0, M, Duration::from_millis(1)).unwrap_err().is_full());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push_timeout_to(
        &self,
        partition: usize,
        value: M,
        timeout: Duration,
    ) -> Result<(), PushError<M>> {
        let Some(lane) = self.lanes.get(partition) else {
            return Err(PushError::Full(value));
        };
        lane.push_timeout(value, timeout)?;
        self.waiters.notify_one();
        Ok(())
    }

    /// Visits the partitions from the pop turn on, returning the first `Some` `take` gives
    /// and moving the turn past the partition it came from.
    #[inline]
    fn take_in_turn<R>(&self, mut take: impl FnMut(&L) -> Option<R>) -> Option<R> {
        let partitions = self.lanes.len();
        let start = self.pop_turn.load(Ordering::Relaxed) % partitions;
        for offset in 0..partitions {
            let mut index = start + offset;
            if index >= partitions {
                index -= partitions;
            }
            if let Some(found) = take(&self.lanes[index]) {
                if partitions > 1 {
                    self.pop_turn.store(index + 1, Ordering::Relaxed);
                }
                return Some(found);
            }
        }
        None
    }
}

impl<M: Message, L: Lane<M>> Engine<M> for Partitioned<M, L> {
    fn with_config(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let lanes = (0..config.get_partitions())
            .map(|_| L::with_config(config).map(CachePadded::new))
            .collect::<Result<Box<[_]>, _>>()?;
        let strict_levels =
            lanes[0].levels() > 1 && config.get_fairness() == crate::config::Fairness::Strict;
        Ok(Self {
            lanes,
            push_turn: CachePadded::new(AtomicUsize::new(0)),
            pop_turn: CachePadded::new(AtomicUsize::new(0)),
            waiters: WaitQueue::new(),
            rejected: Refusals::new(),
            config,
            strict_levels,
            _messages: PhantomData,
        })
    }

    #[inline]
    fn push(&self, value: M) -> Result<(), PushError<M>> {
        self.lane_for(&value).push(value)?;
        self.waiters.notify_one();
        Ok(())
    }

    #[inline]
    fn pop(&self) -> Option<M> {
        self.lanes[0].pinned(|| {
            if self.strict_levels {
                let levels = self.lanes[0].levels();
                return (0..levels)
                    .rev()
                    .find_map(|level| self.take_in_turn(|lane| lane.pop_level(level)));
            }
            self.take_in_turn(|lane| lane.pop())
        })
    }

    fn push_batch<I: IntoIterator<Item = M>>(&self, items: I) -> Result<(), PushError<Vec<M>>> {
        let pushed = push_each(items, self.is_closed(), &self.rejected, |value| {
            self.lane_for(&value).push(value)
        });
        self.waiters.notify_all();
        pushed
    }

    fn pop_batch(&self, max: usize) -> Vec<M> {
        let mut batch = Vec::new();
        if self.strict_levels {
            while batch.len() < max {
                match self.pop() {
                    Some(value) => batch.push(value),
                    None => break,
                }
            }
            return batch;
        }
        // One pass over the partitions from the turn on, taking what each holds.
        for _ in 0..self.lanes.len() {
            if batch.len() >= max {
                break;
            }
            let found = self.take_in_turn(|lane| {
                let taken = lane.pop_batch(max - batch.len());
                (!taken.is_empty()).then_some(taken)
            });
            match found {
                Some(taken) => batch.extend(taken),
                None => break,
            }
        }
        batch
    }

    fn push_timeout(&self, value: M, timeout: Duration) -> Result<(), PushError<M>> {
        self.lane_for(&value).push_timeout(value, timeout)?;
        self.waiters.notify_one();
        Ok(())
    }

    fn pop_timeout(&self, timeout: Duration) -> Result<M, PopError> {
        pop_waiting(&self.waiters, timeout, || self.pop(), || self.is_closed())
    }

    fn len(&self) -> usize {
        self.lanes.iter().map(|lane| lane.len()).sum()
    }

    fn capacity(&self) -> usize {
        self.lanes.iter().map(|lane| lane.capacity()).sum()
    }

    fn clear(&self) {
        for lane in self.lanes.iter() {
            lane.clear();
        }
    }

    fn drain(&self) -> Vec<M> {
        let mut all = Vec::new();
        for lane in self.lanes.iter() {
            all.extend(lane.drain());
        }
        all
    }

    fn close(&self) {
        for lane in self.lanes.iter() {
            lane.close();
        }
        self.waiters.notify_all();
    }

    fn is_closed(&self) -> bool {
        self.lanes[0].is_closed()
    }

    fn stats(&self) -> Stats {
        let mut total = Stats {
            partitions: Vec::with_capacity(self.lanes.len()),
            ..Stats::default()
        };
        for lane in self.lanes.iter() {
            let partition = lane.stats();
            total.absorb(&partition);
            total.partitions.push(partition);
        }
        self.rejected.add_to(&mut total);
        total
    }
}

impl<M: Message, L: Lane<M>> Lane<M> for Partitioned<M, L> {
    fn config(&self) -> &Config {
        &self.config
    }

    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        self.lanes[0].pinned(f)
    }

    fn levels(&self) -> usize {
        self.lanes[0].levels()
    }

    fn level_names(&self) -> &'static [&'static str] {
        self.lanes[0].level_names()
    }

    fn pop_level(&self, level: usize) -> Option<M> {
        self.take_in_turn(|lane| lane.pop_level(level))
    }

    fn len_level(&self, level: usize) -> usize {
        self.lanes.iter().map(|lane| lane.len_level(level)).sum()
    }

    /// The engine of the partition `like` is routed to, as `push` routes it (a message
    /// without a key takes the next turn of the round robin); partition 0 for `None`.
    fn room_for(&self, like: Option<&M>) -> Option<&dyn Room<M>>
    where
        M: Send,
    {
        let partition = like.map_or(0, |message| self.route(message.route()));
        self.lanes[partition].room_for(like)
    }

    /// Sets the hooks of every partition's lanes.
    fn set_hooks(&mut self, hooks: &Hooks<M>) {
        for lane in self.lanes.iter_mut() {
            lane.set_hooks(hooks);
        }
    }

    fn follow_time_in_queue(&mut self, record: &crate::engine::TimeInQueue) {
        for lane in self.lanes.iter_mut() {
            lane.follow_time_in_queue(record);
        }
    }

    fn push_retry(&self, value: M) -> Result<(), PushError<M>> {
        self.lane_for(&value).push_retry(value)?;
        self.waiters.notify_one();
        Ok(())
    }
}
