//! `Delivery`: a message taken from a persisted queue and not yet acknowledged, and
//! `AckError`, an acknowledgement that could not be written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::returns::Returns;
use super::PersistError;
use crate::message::Recorded;

/// A message taken with [`Persistent::pop_delivery`](super::Persistent::pop_delivery), not yet acknowledged. It derefs to the
/// message. It ends in one of three ways:
///
/// - [`ack`](Self::ack) (or [`ack_all`](Self::ack_all)): handled, it never comes back;
/// - [`nack`](Self::nack) (or [`nack_after`](Self::nack_after)): handed back to the front of
///   its lane (partition and priority level) now (or after a delay), for the next pop of that
///   lane; nothing is written to the log;
/// - dropped (or [`into_unacked`](Self::into_unacked)): not handed back in this process; the
///   next `open` of the queue delivers it again. Dropping is not a `nack`: a consumer that
///   gives up on a message (a panic, a cancelled task) does not make it loop back at once.
///
/// Whichever it is, a message not acknowledged is never lost: its record stays in the log
/// until an acknowledgement is written, so a crash (before or after a `nack`) delivers it
/// again at the next `open`, exactly once.
///
/// ```
/// use elasticq_runtime::Delivery;
/// fn handle(delivery: Delivery<String>) {
///     println!("{}", delivery.len()); // the message, through Deref
///     match delivery.ack() {
///         Ok(message) => drop(message),
///         Err(failed) => eprintln!("will be delivered again: {}", failed.error()),
///     }
/// }
/// ```
#[must_use = "a delivery neither acknowledged nor handed back with nack is delivered again only after the queue reopens"]
pub struct Delivery<M> {
    pub(super) returns: Arc<Returns<M>>,
    pub(super) partition: u32,
    /// The weight its record had in the lane (see [`Recorded::weight`]).
    pub(super) weight: u32,
    pub(super) seq: u64,
    pub(super) message: M,
}

impl<M> Delivery<M> {
    /// Acknowledges the message and hands it over. Under [`SyncPolicy::EveryWrite`](super::SyncPolicy::EveryWrite) the
    /// acknowledgement is on disk when this returns (so the message never comes back); under
    /// the other policies it is as durable as a push. On failure the message is handed back
    /// with the error, and it will be delivered again after the queue reopens.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn done(delivery: Delivery<u32>) -> u32 {
    ///     delivery.ack().unwrap_or_else(|failed| failed.into_message())
    /// }
    /// ```
    pub fn ack(self) -> Result<M, AckError<M>> {
        let log = self.returns.logs.log(self.partition);
        match log
            .ack([self.seq])
            .and_then(|position| log.wait_durable(position))
        {
            Ok(()) => Ok(self.message),
            Err(error) => Err(AckError {
                message: self.message,
                error,
            }),
        }
    }

    /// Acknowledges a batch of deliveries, with one sync per partition under
    /// [`SyncPolicy::EveryWrite`](super::SyncPolicy::EveryWrite); hands the messages over in order. On a failure, every
    /// message comes back with the first error (none is certain to be acknowledged).
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn done(batch: Vec<Delivery<u32>>) -> usize {
    ///     Delivery::ack_all(batch).map_or(0, |messages| messages.len())
    /// }
    /// ```
    pub fn ack_all(batch: Vec<Delivery<M>>) -> Result<Vec<M>, AckError<Vec<M>>> {
        // Deliveries may come from several queues (and so several logs): each is
        // acknowledged in its own log, grouped by log and partition.
        let mut groups: Vec<(Arc<Returns<M>>, u32, Vec<u64>)> = Vec::new();
        let mut messages = Vec::with_capacity(batch.len());
        for delivery in batch {
            let found = groups.iter_mut().find(|(returns, partition, _)| {
                Arc::ptr_eq(returns, &delivery.returns) && *partition == delivery.partition
            });
            match found {
                Some((_, _, seqs)) => seqs.push(delivery.seq),
                None => groups.push((delivery.returns, delivery.partition, vec![delivery.seq])),
            }
            messages.push(delivery.message);
        }
        let mut first_error = None;
        for (returns, partition, seqs) in groups {
            let log = returns.logs.log(partition);
            if let Err(error) = log
                .ack(seqs)
                .and_then(|position| log.wait_durable(position))
            {
                first_error.get_or_insert(error);
            }
        }
        match first_error {
            None => Ok(messages),
            Some(error) => Err(AckError {
                message: messages,
                error,
            }),
        }
    }

    /// The message.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn peek(delivery: &Delivery<String>) -> &str { delivery.message() }
    /// ```
    pub fn message(&self) -> &M {
        &self.message
    }

    /// The partition the message came from.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn partition(delivery: &Delivery<String>) -> usize { delivery.partition() }
    /// ```
    pub fn partition(&self) -> usize {
        self.partition as usize
    }

    /// A name for the message that no other message of any log shares, and that stays the
    /// same for as long as it is owed: the log directory's random id (written into the
    /// directory as `ID` the first time one is asked for), its partition and its record's
    /// sequence number, as `{id}.{partition}.{seq}`. A delivery handed back, or delivered
    /// again after a crash and a reopen, has the same one. The outbox bridge
    /// ([`forward_to`](crate::ProcessorBuilder::forward_to), feature `jetstream`) publishes
    /// each message with it as its `Nats-Msg-Id`, so that JetStream stores a message
    /// forwarded twice once.
    ///
    /// The first call reads or writes `ID`; its I/O errors are returned.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("message-id");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// let delivery = jobs.pop_delivery().unwrap();
    /// let id = delivery.message_id()?;
    /// assert_eq!(id.split('.').nth(1), Some("0")); // {log id}.{partition}.{seq}
    /// delivery.nack();
    /// assert_eq!(jobs.pop_delivery().unwrap().message_id()?, id); // the same message
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn message_id(&self) -> Result<String, PersistError> {
        let id = self.returns.logs.directory.log_id()?;
        Ok(format!("{id}.{}.{}", self.partition, self.seq))
    }

    /// Takes the message without acknowledging it: it will be delivered again after the
    /// queue reopens.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn keep(delivery: Delivery<String>) -> String { delivery.into_unacked() }
    /// ```
    pub fn into_unacked(self) -> M {
        self.message
    }

    /// Hands the message back without acknowledging it: it goes to the front of its lane
    /// (its partition and priority level) at once, so the next pop of that lane takes it
    /// again, before every message queued behind it (messages of higher levels still go
    /// first; while returned messages wait, a queue with [`Fairness::Fair`](crate::Fairness::Fair) pops as a strict
    /// one). Several messages handed back to one lane wait there in the order they were
    /// queued, so a batch handed back message by message comes back as it was taken. Counts
    /// one [`redelivered`](crate::Stats::redelivered) and wakes a consumer waiting for a
    /// message (`pop_timeout`, `pop_async`).
    ///
    /// Nothing is written to the log: the record stays unacknowledged, so if the process
    /// dies (or the queue is dropped) before the message is taken and acknowledged again, the
    /// next `open` delivers it once. While it waits, the message counts in `len()`, even
    /// above the maximum capacity (it had its room when it was pushed).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("nack");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch([Job(1), Job(2)]).unwrap();
    /// let first = jobs.pop_delivery().unwrap();
    /// first.nack(); // could not handle it now: back at the front
    /// assert_eq!(jobs.len(), 2);
    /// assert_eq!(jobs.pop(), Some(Job(1)));
    /// assert_eq!(jobs.stats().redelivered, 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn nack(self) {
        let (returns, recorded) = self.into_recorded();
        returns.put_back(recorded);
    }

    /// The queue's returns and the message with the place of its record.
    fn into_recorded(self) -> (Arc<Returns<M>>, Recorded<M>) {
        let Delivery {
            returns,
            partition,
            weight,
            seq,
            message,
        } = self;
        let recorded = Recorded {
            partition,
            weight,
            seq,
            message,
        };
        (returns, recorded)
    }
}

impl<M: Send + 'static> Delivery<M> {
    /// [`nack`](Self::nack) after `delay`: the message goes back to the front of its lane once
    /// the delay has passed (counted as [`redelivered`](crate::Stats::redelivered) then), as a
    /// retry with backoff does. Until then it is neither queued nor acknowledged: if the queue
    /// is dropped or the process dies first, the next `open` delivers it again, once. The
    /// delays of a queue are kept by one thread, started at its first `nack_after` and
    /// stopped when the queue is dropped.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("nack-after");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// jobs.pop_delivery().unwrap().nack_after(Duration::from_millis(10));
    /// // back in its lane after the delay:
    /// assert_eq!(jobs.pop_timeout(Duration::from_secs(60)), Ok(Job(1)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn nack_after(self, delay: Duration) {
        let (returns, recorded) = self.into_recorded();
        match Instant::now().checked_add(delay) {
            Some(at) => returns.put_back_at(at, recorded),
            // A delay beyond what `Instant` can represent: the next `open` delivers it.
            None => drop(recorded),
        }
    }
}

impl<M> std::ops::Deref for Delivery<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.message
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Delivery<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("partition", &self.partition)
            .field("seq", &self.seq)
            .field("message", &self.message)
            .finish()
    }
}

/// An acknowledgement that could not be written: the message (or batch) comes back with the
/// error.
///
/// ```
/// use elasticq_runtime::AckError;
/// fn report(failed: AckError<u32>) -> u32 {
///     eprintln!("{failed}");
///     failed.into_message()
/// }
/// ```
#[derive(Debug)]
pub struct AckError<M> {
    message: M,
    error: PersistError,
}

impl<M> AckError<M> {
    /// Why the acknowledgement failed.
    ///
    /// ```
    /// # use elasticq_runtime::{AckError, PersistError};
    /// fn why(failed: &AckError<u32>) -> &PersistError { failed.error() }
    /// ```
    pub fn error(&self) -> &PersistError {
        &self.error
    }

    /// The message that was not acknowledged.
    ///
    /// ```
    /// # use elasticq_runtime::AckError;
    /// fn back(failed: AckError<u32>) -> u32 { failed.into_message() }
    /// ```
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<M> std::fmt::Display for AckError<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not acknowledge the delivery: {}", self.error)
    }
}

impl<M: std::fmt::Debug> std::error::Error for AckError<M> {}
