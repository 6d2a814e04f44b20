//! The push side of [`Persistent`]: room is checked before a record is written, records are
//! written and made durable before their messages are queued, and a record whose message
//! the queue refused after all is withdrawn durably.

use std::time::Duration;

use super::log::Appended;
use super::PersistError;
use super::Persistent;
use crate::config::Overflow;
use crate::engine::Engine;
use crate::error::PushError;
use crate::layer::Lane;
use crate::message::{recorded_weight, Durable, Recorded};
use crate::sync::Ordering;

impl<M: Durable, L: Lane<Recorded<M>>> Persistent<M, L> {
    fn partition_for(&self, message: &M) -> u32 {
        self.queue.route(message.route()) as u32
    }

    /// Whether a push of `level` to `partition` must be refused as full before anything is
    /// written: the lane is at its maximum, or owed messages wait for its room. A push that
    /// passes can still be refused by the lane (another push took the room meanwhile); its
    /// record is then withdrawn durably.
    fn no_room(&self, partition: u32, level: usize) -> bool {
        self.room(partition, level) == 0
    }

    /// How many more messages of `level` `partition` takes under its maximum: none while
    /// owed messages wait for that lane, and no limit when the lane evicts to make room
    /// (`Overflow::DropOldest`).
    fn room(&self, partition: u32, level: usize) -> usize {
        let partition = partition as usize;
        if self.owed.blocks(partition, level) {
            return 0;
        }
        let config = Lane::config(&self.queue);
        if config.get_overflow() == Overflow::DropOldest {
            return usize::MAX;
        }
        let max = config.get_max_capacity();
        // Messages handed back with `nack` hold their room until they are taken again.
        let returned = match self.returns.any() {
            true => self.returns.len_at(partition, level),
            false => 0,
        };
        self.queue.partition(partition).map_or(0, |lane| {
            max.saturating_sub(lane.len_level(level).saturating_add(returned))
        })
    }

    /// Whether the lanes have `level`: a priority outside the levels is refused before its
    /// record is written (a record the lanes refuse at recovery would keep `open` from
    /// succeeding).
    fn has_level(&self, level: usize) -> bool {
        level < self.queue.partition(0).map_or(1, |lane| lane.levels())
    }

    /// Refuses `message` without writing it, counting the refusal.
    fn refuse<T>(&self, error: PushError<T>, count: usize) -> PushError<T> {
        self.rejected.count(&error, count as u64);
        error
    }

    /// Writes `message`'s record to `partition`'s log and waits for it as the policy says;
    /// the message comes back with the error if the log refused it.
    fn record(&self, partition: u32, message: M) -> Result<(Recorded<M>, Appended), PushError<M>> {
        let log = self.logs.log(partition);
        let written = log
            .append(message.level(), &message, self.encode)
            .and_then(|appended| log.wait_durable(appended.end).map(|()| appended));
        match written {
            Ok(appended) => Ok((
                Recorded {
                    partition,
                    weight: recorded_weight(self.weight, &message, appended.len),
                    seq: appended.seq,
                    message,
                },
                appended,
            )),
            Err(error) => Err(PushError::Persist(message, Box::new(error))),
        }
    }

    /// A record whose message the queue refused after all: voided in place while it is
    /// still buffered, else acknowledged and the acknowledgement made durable before the
    /// refusal is returned, whatever the policy, so that a refused message never comes back
    /// after a crash. If that cannot be done, the refusal becomes [`PushError::Persist`]:
    /// the log has failed, and the message may come back.
    fn withdraw(&self, error: PushError<Recorded<M>>, appended: Appended) -> PushError<M> {
        let partition = match &error {
            PushError::Full(r)
            | PushError::Closed(r)
            | PushError::InvalidPriority(r)
            | PushError::Persist(r, _) => r.partition,
        };
        let log = self.logs.log(partition);
        let withdrawn = log.withdraw(appended).and_then(|position| match position {
            Some(position) => log.sync_through(position),
            None => Ok(()),
        });
        match withdrawn {
            Ok(()) => error.map(|recorded| recorded.message),
            Err(failed) => {
                self.logs.ack_failures.fetch_add(1, Ordering::Relaxed);
                PushError::Persist(error.into_inner().message, Box::new(failed))
            }
        }
    }

    /// Withdraws every record of `batch` (see [`withdraw`](Self::withdraw)), with one sync
    /// per partition for those already written out; returns their messages, in order, and
    /// the first failure.
    fn withdraw_batch(
        &self,
        batch: Vec<(Recorded<M>, Appended)>,
    ) -> (Vec<M>, Option<PersistError>) {
        let mut positions = vec![0u64; self.queue.partitions()];
        let mut failure = None;
        let mut messages = Vec::with_capacity(batch.len());
        for (recorded, appended) in batch {
            match self.logs.log(recorded.partition).withdraw(appended) {
                Ok(Some(position)) => positions[recorded.partition as usize] = position,
                Ok(None) => {}
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
            messages.push(recorded.message);
        }
        for (partition, &position) in positions.iter().enumerate() {
            if position == 0 {
                continue;
            }
            if let Err(error) = self.logs.log(partition as u32).sync_through(position) {
                failure.get_or_insert(error);
            }
        }
        if failure.is_some() {
            self.logs.ack_failures.fetch_add(1, Ordering::Relaxed);
        }
        (messages, failure)
    }

    /// Tries to push once: refused without a write when there is no room, else written and
    /// queued (its record withdrawn if the lane refuses it after all).
    fn try_push(&self, partition: u32, message: M) -> Result<(), PushError<M>> {
        self.try_push_counted(partition, message, true)
    }

    /// [`try_push`](Self::try_push); unless `counted`, refusals before the write are not
    /// counted, and the lanes are pushed with [`Lane::push_retry`] (a lane's `Full` refusal
    /// is not counted either): the caller counts what it decides is a refusal.
    fn try_push_counted(
        &self,
        partition: u32,
        message: M,
        counted: bool,
    ) -> Result<(), PushError<M>> {
        let refuse = |error| {
            if counted {
                self.refuse(error, 1)
            } else {
                error
            }
        };
        if self.queue.is_closed() {
            return Err(refuse(PushError::Closed(message)));
        }
        let level = message.level();
        if !self.has_level(level) {
            return Err(refuse(PushError::InvalidPriority(message)));
        }
        if self.no_room(partition, level) {
            return Err(refuse(PushError::Full(message)));
        }
        // A failed write is counted on both paths: `push_retry` counts only the other
        // refusals made before the write.
        let (recorded, appended) = self
            .record(partition, message)
            .map_err(|error| self.refuse(error, 1))?;
        let queued = if counted {
            self.queue.push_to(partition as usize, recorded)
        } else {
            self.queue.push_retry_to(partition as usize, recorded)
        };
        queued.map_err(|error| self.withdraw(error, appended))?;
        self.returns.arrivals.notify_one();
        Ok(())
    }

    /// [`push`](Self::push) as a try of a push that waits for room and tries again when woken
    /// (`push_async`): a `Full` refusal is not counted in `stats().rejected`; any other
    /// refusal is, once.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("push-retry");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().max_capacity(1), PersistOptions::new(&dir))?;
    /// jobs.push_retry(Job(1)).unwrap();
    /// assert!(jobs.push_retry(Job(2)).unwrap_err().is_full());
    /// assert_eq!(jobs.stats().rejected, 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push_retry(&self, message: M) -> Result<(), PushError<M>> {
        let partition = self.partition_for(&message);
        match self.try_push_counted(partition, message, false) {
            Err(refused @ (PushError::Closed(_) | PushError::InvalidPriority(_))) => {
                Err(self.refuse(refused, 1))
            }
            done => done,
        }
    }

    /// Writes `message` to the log, then queues it. Returns once the record is as durable
    /// as the [`SyncPolicy`](super::SyncPolicy) promises (on disk, under `EveryWrite`). A full or closed queue
    /// hands the message back (its record is withdrawn); so does a log that cannot be
    /// written ([`PushError::Persist`]).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("push");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(7)).unwrap();
    /// assert_eq!(jobs.persist_stats().records_written, 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push(&self, message: M) -> Result<(), PushError<M>> {
        let partition = self.partition_for(&message);
        self.try_push(partition, message)
    }

    /// [`push`](Self::push), waiting up to `timeout` for room in the queue.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("push-timeout");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().max_capacity(1), PersistOptions::new(&dir))?;
    /// jobs.push_timeout(Job(1), Duration::from_millis(1)).unwrap();
    /// let refused = jobs.push_timeout(Job(2), Duration::from_millis(1)).unwrap_err();
    /// assert!(refused.is_full());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push_timeout(&self, message: M, timeout: Duration) -> Result<(), PushError<M>> {
        let partition = self.partition_for(&message);
        let level = message.level();
        let deadline = crate::wait::deadline_after(timeout);
        let mut message = message;
        loop {
            match self.try_push_counted(partition, message, false) {
                Err(PushError::Full(back)) => message = back,
                Err(refused @ (PushError::Closed(_) | PushError::InvalidPriority(_))) => {
                    return Err(self.refuse(refused, 1))
                }
                done => return done,
            }
            // Room is waited for before anything is written, and with no I/O under the
            // wait queue's lock (pops take it to notify): a push that times out leaves no
            // record behind, and a pop never waits for a push's fsync.
            let ready = self.room.wait_rechecking(deadline, || {
                self.queue.is_closed() || !self.no_room(partition, level)
            });
            if !ready {
                // One refusal for the whole wait, however often room was looked for.
                return Err(self.refuse(PushError::Full(message), 1));
            }
        }
    }

    /// Writes every message to the log (one sync per partition for the whole batch), then
    /// queues them in order. On failure, hands back the message that failed and every one
    /// after it.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("push-batch");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..100).map(Job)).unwrap();
    /// assert_eq!(jobs.persist_stats().fsyncs, 1);
    /// assert_eq!(jobs.pop_batch(2), vec![Job(0), Job(1)]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push_batch<I: IntoIterator<Item = M>>(&self, items: I) -> Result<(), PushError<Vec<M>>> {
        let items: Vec<M> = items.into_iter().collect();
        if self.queue.is_closed() {
            let count = items.len();
            return Err(self.refuse(PushError::Closed(items), count));
        }
        let mut positions = vec![0u64; self.queue.partitions()];
        // Room taken by this batch so far, per (partition, level): a message its lane has no
        // room for ends the batch before it is written.
        let mut taken: Vec<((u32, usize), usize)> = Vec::new();
        let mut written = Vec::with_capacity(items.len());
        let mut items = items.into_iter();
        let mut stopped: Option<(M, Stop)> = None;
        for message in items.by_ref() {
            let partition = self.partition_for(&message);
            let level = message.level();
            let slot = match taken.iter().position(|(at, _)| *at == (partition, level)) {
                Some(slot) => slot,
                None => {
                    taken.push(((partition, level), 0));
                    taken.len() - 1
                }
            };
            if !self.has_level(level) {
                stopped = Some((message, Stop::InvalidPriority));
                break;
            }
            if taken[slot].1 >= self.room(partition, level) {
                stopped = Some((message, Stop::Full));
                break;
            }
            match self
                .logs
                .log(partition)
                .append(level, &message, self.encode)
            {
                Ok(appended) => {
                    positions[partition as usize] = appended.end;
                    taken[slot].1 += 1;
                    written.push((
                        Recorded {
                            partition,
                            weight: recorded_weight(self.weight, &message, appended.len),
                            seq: appended.seq,
                            message,
                        },
                        appended,
                    ));
                }
                Err(error) => {
                    stopped = Some((message, Stop::Persist(error)));
                    break;
                }
            }
        }
        let rest = |first: Vec<M>, stopped: Option<M>, items: std::vec::IntoIter<M>| -> Vec<M> {
            first.into_iter().chain(stopped).chain(items).collect()
        };
        for (partition, &position) in positions.iter().enumerate() {
            if position == 0 {
                continue;
            }
            if let Err(error) = self.logs.log(partition as u32).wait_durable(position) {
                // Not durable: nothing of the batch is queued. The log has failed, so the
                // withdrawals cannot be made durable either; the records may come back.
                let all = self.acked_batch(written.into_iter().map(|(r, _)| r).collect());
                let stopped = stopped.map(|(message, _)| message);
                return Err(PushError::Persist(
                    rest(all, stopped, items),
                    Box::new(error),
                ));
            }
        }
        let mut written = written.into_iter();
        // Wakes the blocking pops once the batch (or what of it went in) is queued.
        struct Arrived<'a>(&'a crate::wait::WaitQueue);
        impl Drop for Arrived<'_> {
            fn drop(&mut self) {
                self.0.notify_all();
            }
        }
        let _arrived = Arrived(&self.returns.arrivals);
        while let Some((recorded, appended)) = written.next() {
            let partition = recorded.partition as usize;
            if let Err(error) = self.queue.push_to(partition, recorded) {
                let error = self.withdraw(error, appended);
                let (unqueued, failure) = self.withdraw_batch(written.collect());
                let stopped = stopped.map(|(message, _)| message);
                let error = error.map(|first| rest(vec![first], None, Vec::new().into_iter()));
                let all = |first: Vec<M>| {
                    rest(first.into_iter().chain(unqueued).collect(), stopped, items)
                };
                return Err(match (error, failure) {
                    (PushError::Persist(first, error), _) => PushError::Persist(all(first), error),
                    (_, Some(failure)) => PushError::Persist(all(Vec::new()), Box::new(failure)),
                    (error, None) => error.map(all),
                });
            }
        }
        let Some((message, stop)) = stopped else {
            return Ok(());
        };
        let refused = rest(Vec::new(), Some(message), items);
        let count = refused.len();
        Err(match stop {
            Stop::Full => self.refuse(PushError::Full(refused), count),
            Stop::InvalidPriority => self.refuse(PushError::InvalidPriority(refused), count),
            Stop::Persist(error) => {
                self.refuse(PushError::Persist(refused, Box::new(error)), count)
            }
        })
    }
}

/// Why a batch stopped before its end, with nothing written for the message it stopped at.
enum Stop {
    Full,
    InvalidPriority,
    Persist(PersistError),
}
