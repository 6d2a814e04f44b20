//! The pop side of [`Persistent`]: every call that takes messages out acknowledges them (or
//! hands them out as deliveries), moves owed messages into the room it made, and tells
//! pushes waiting for room.

use std::sync::Arc;
use std::time::Duration;

use super::{Delivery, Persistent};
use crate::engine::Engine;
use crate::error::PopError;
use crate::layer::Lane;
use crate::message::{Durable, Recorded};
use crate::wait::pop_waiting;

/// Where a pop takes from, for the messages handed back with `nack`.
#[derive(Clone, Copy)]
enum Scope {
    /// Any partition (`pop`, `pop_batch`, `drain`).
    Any,
    /// One partition (`pop_from`, the batches of one partition).
    Partition(usize),
    /// One level of any partition (`pop_level`).
    Level(usize),
}

impl Scope {
    /// The partition the pop is confined to, if any (where owed messages are refilled).
    fn partition(self) -> Option<usize> {
        match self {
            Scope::Partition(partition) => Some(partition),
            Scope::Any | Scope::Level(_) => None,
        }
    }
}

impl<M: Durable, L: Lane<Recorded<M>>> Persistent<M, L> {
    pub(super) fn acked(&self, recorded: Recorded<M>) -> M {
        self.logs.ack_quietly(recorded.partition, [recorded.seq]);
        recorded.message
    }

    pub(super) fn acked_batch(&self, batch: Vec<Recorded<M>>) -> Vec<M> {
        let mut seqs: Vec<Vec<u64>> = vec![Vec::new(); self.queue.partitions()];
        let messages = batch
            .into_iter()
            .map(|recorded| {
                seqs[recorded.partition as usize].push(recorded.seq);
                recorded.message
            })
            .collect();
        for (partition, seqs) in seqs.into_iter().enumerate() {
            if !seqs.is_empty() {
                self.logs.ack_quietly(partition as u32, seqs);
            }
        }
        messages
    }

    /// Moves owed messages of `partition` (`None`: every partition) into the room their
    /// lanes have.
    fn refill(&self, partition: Option<usize>) {
        if self.owed.any() {
            let push = |partition: usize, recorded| self.queue.push_to(partition, recorded);
            match partition {
                Some(partition) => self.owed.refill(partition, |r| push(partition, r)),
                None => self.owed.refill_all(push),
            }
        }
    }

    /// After messages left `partition` (`None`: any partition): owed messages move into
    /// the room first, then pushes waiting for room are told.
    pub(super) fn taken_from(&self, partition: Option<usize>) {
        self.refill(partition);
        self.room.notify_all();
    }

    /// The next message of `scope` among the messages handed back with `nack` and those
    /// of higher levels, as the lanes' order has it: a returned message is at the front of
    /// its lane, so a pop takes the highest level that has a message, and at that level the
    /// returned messages first. `None` when no returned message is that next one (the
    /// engines' pop then decides); only called while some returned message waits.
    #[cold]
    fn take_returned(&self, scope: Scope) -> Option<Recorded<M>> {
        match scope {
            Scope::Level(level) => self.returns.take_any(level),
            Scope::Partition(partition) => {
                let top = self.returns.top_level(partition)?;
                let lane = self.queue.partition(partition)?;
                let above = (top + 1..lane.levels())
                    .rev()
                    .find_map(|level| lane.pop_level(level));
                above.or_else(|| self.returns.take(partition, top))
            }
            Scope::Any => {
                let top = self.returns.top_level_any()?;
                let above = (top + 1..Lane::levels(&self.queue))
                    .rev()
                    .find_map(|level| self.queue.pop_level(level));
                above.or_else(|| self.returns.take_any(top))
            }
        }
    }

    /// Whether messages handed back with `nack` wait where `scope` takes from.
    #[inline]
    fn returned_in(&self, scope: Scope) -> bool {
        self.returns.any()
            && match scope {
                Scope::Partition(partition) => self.returns.len_partition(partition) > 0,
                Scope::Any | Scope::Level(_) => true,
            }
    }

    /// Takes up to `max` messages with `take` (given how many are still wanted), moving
    /// owed messages into the room it makes, until `max` are taken or no more come.
    /// Messages handed back with `nack` are taken first, one by one, in their lanes' order.
    fn take_batch(
        &self,
        scope: Scope,
        max: usize,
        mut take: impl FnMut(usize) -> Vec<Recorded<M>>,
    ) -> Vec<Recorded<M>> {
        let partition = scope.partition();
        let mut batch = Vec::new();
        while batch.len() < max && self.returned_in(scope) {
            match self.take_returned(scope) {
                Some(recorded) => batch.push(recorded),
                None => break,
            }
        }
        if batch.len() < max {
            batch.extend(take(max - batch.len()));
        }
        while batch.len() < max && self.owed.any() {
            self.refill(partition);
            let more = take(max - batch.len());
            if more.is_empty() {
                break;
            }
            batch.extend(more);
        }
        self.taken_from(partition);
        batch
    }

    fn take_one(
        &self,
        scope: Scope,
        mut take: impl FnMut() -> Option<Recorded<M>>,
    ) -> Option<Recorded<M>> {
        let partition = scope.partition();
        let mut found = match self.returns.any() {
            false => take(),
            true => self.take_returned(scope).or_else(&mut take),
        };
        if found.is_none() && self.owed.any() {
            self.refill(partition);
            found = take();
        }
        self.taken_from(
            found
                .as_ref()
                .map_or(partition, |r| Some(r.partition as usize)),
        );
        found
    }

    /// Takes the next message (highest priority first, partitions in turn) and acknowledges
    /// its record. The acknowledgement is written without waiting for a sync: if the process
    /// dies before the next sync, the message may be delivered again (at least once).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(3)).unwrap();
    /// assert_eq!(jobs.pop(), Some(Job(3)));
    /// assert_eq!(jobs.persist_stats().acks_written, 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop(&self) -> Option<M> {
        self.take_one(Scope::Any, || self.queue.pop())
            .map(|recorded| self.acked(recorded))
    }

    /// Takes the next message without acknowledging it: [`Delivery::ack`] does, once the
    /// message is handled, or [`Delivery::nack`] hands it back to the front of its lane. A
    /// delivery dropped or never acknowledged is delivered again after the queue is next
    /// opened (not before: it has left this queue's memory).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop-delivery");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(3)).unwrap();
    /// let delivery = jobs.pop_delivery().unwrap();
    /// assert_eq!(delivery.ack().unwrap(), Job(3)); // durable when it returns (EveryWrite)
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery(&self) -> Option<Delivery<M>> {
        self.take_one(Scope::Any, || self.queue.pop())
            .map(|recorded| self.delivery(recorded))
    }

    fn delivery(&self, recorded: Recorded<M>) -> Delivery<M> {
        Delivery {
            returns: Arc::clone(&self.returns),
            partition: recorded.partition,
            weight: recorded.weight,
            seq: recorded.seq,
            message: recorded.message,
        }
    }

    /// Like [`pop_delivery`](Self::pop_delivery), from one partition.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("delivery-from");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(3)).unwrap();
    /// assert_eq!(jobs.pop_delivery_from(0).map(|d| d.partition()), Some(0));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery_from(&self, partition: usize) -> Option<Delivery<M>> {
        self.take_one(Scope::Partition(partition), || {
            self.queue.pop_from(partition)
        })
        .map(|recorded| self.delivery(recorded))
    }

    /// Up to `max` deliveries from one partition, oldest first: what a batch processor takes
    /// and acknowledges once the batch is handled.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("delivery-batch");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..5).map(Job)).unwrap();
    /// let batch = jobs.pop_delivery_batch_from(0, 3);
    /// assert_eq!(batch.len(), 3);
    /// assert_eq!(Delivery::ack_all(batch).unwrap(), vec![Job(0), Job(1), Job(2)]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery_batch_from(&self, partition: usize, max: usize) -> Vec<Delivery<M>> {
        self.take_batch(Scope::Partition(partition), max, |max| {
            self.queue.pop_batch_from(partition, max)
        })
        .into_iter()
        .map(|recorded| self.delivery(recorded))
        .collect()
    }

    /// Up to `max` deliveries from any partitions, as [`pop_batch`](Self::pop_batch) takes
    /// messages, none acknowledged: acknowledge them with [`Delivery::ack_all`] once the batch
    /// is handled.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("delivery-batch-any");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..5).map(Job)).unwrap();
    /// let batch = jobs.pop_delivery_batch(3);
    /// assert_eq!(Delivery::ack_all(batch).unwrap(), vec![Job(0), Job(1), Job(2)]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery_batch(&self, max: usize) -> Vec<Delivery<M>> {
        self.take_batch(Scope::Any, max, |max| self.queue.pop_batch(max))
            .into_iter()
            .map(|recorded| self.delivery(recorded))
            .collect()
    }

    /// Up to `max` messages, acknowledged (see [`pop`](Self::pop)).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop-batch");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..3).map(Job)).unwrap();
    /// assert_eq!(jobs.pop_batch(10).len(), 3);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_batch(&self, max: usize) -> Vec<M> {
        self.acked_batch(self.take_batch(Scope::Any, max, |max| self.queue.pop_batch(max)))
    }

    /// Waits up to `timeout` for a message, then acknowledges it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop-timeout");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.pop_timeout(Duration::from_millis(1)).err(), Some(PopError::Timeout));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_timeout(&self, timeout: Duration) -> Result<M, PopError> {
        // Waits where pushes and `nack`s notify, looking at the returned messages too.
        let recorded = pop_waiting(
            &self.returns.arrivals,
            timeout,
            || self.take_one(Scope::Any, || self.queue.pop()),
            || self.queue.is_closed(),
        )?;
        Ok(self.acked(recorded))
    }

    /// Takes the next message of `level` (see [`Lane::pop_level`]) and acknowledges it.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop-level");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.pop_level(0), Some(Job(1)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_level(&self, level: usize) -> Option<M> {
        self.take_one(Scope::Level(level), || self.queue.pop_level(level))
            .map(|recorded| self.acked(recorded))
    }

    /// Takes the next message of one partition and acknowledges it.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop-from");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(2), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap(); // no key: partitions in turn, from 0
    /// assert_eq!(jobs.pop_from(1), None);
    /// assert_eq!(jobs.pop_from(0), Some(Job(1)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_from(&self, partition: usize) -> Option<M> {
        self.take_one(Scope::Partition(partition), || {
            self.queue.pop_from(partition)
        })
        .map(|recorded| self.acked(recorded))
    }

    /// Up to `max` messages of one partition, acknowledged.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("pop-batch-from");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch([Job(1), Job(2)]).unwrap();
    /// assert_eq!(jobs.pop_batch_from(0, 5), vec![Job(1), Job(2)]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_batch_from(&self, partition: usize, max: usize) -> Vec<M> {
        self.acked_batch(self.take_batch(Scope::Partition(partition), max, |max| {
            self.queue.pop_batch_from(partition, max)
        }))
    }

    /// Takes every message and acknowledges them.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("drain");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch([Job(1), Job(2)]).unwrap();
    /// assert_eq!(jobs.drain(), vec![Job(1), Job(2)]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn drain(&self) -> Vec<M> {
        self.acked_batch(self.take_batch(Scope::Any, usize::MAX, |_| self.queue.drain()))
    }

    /// Removes every message, acknowledged, so none comes back at recovery.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("clear");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// jobs.clear();
    /// assert!(jobs.is_empty());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn clear(&self) {
        drop(self.drain());
    }
}
