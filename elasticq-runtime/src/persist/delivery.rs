//! `Delivery`: a message taken from a persisted queue and not yet acknowledged, and
//! `AckError`, an acknowledgement that could not be written.

use std::sync::Arc;

use super::logs::Logs;
use super::PersistError;

/// A message taken with [`Persistent::pop_delivery`](super::Persistent::pop_delivery), not yet acknowledged: if it is never
/// acknowledged (dropped, or the process dies first), the next `open` of the queue delivers
/// it again. It derefs to the message.
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
#[must_use = "a delivery not acknowledged is delivered again after the queue reopens"]
pub struct Delivery<M> {
    pub(super) logs: Arc<Logs>,
    pub(super) partition: u32,
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
        let log = self.logs.log(self.partition);
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
        let mut groups: Vec<(Arc<Logs>, u32, Vec<u64>)> = Vec::new();
        let mut messages = Vec::with_capacity(batch.len());
        for delivery in batch {
            let found = groups.iter_mut().find(|(logs, partition, _)| {
                Arc::ptr_eq(logs, &delivery.logs) && *partition == delivery.partition
            });
            match found {
                Some((_, _, seqs)) => seqs.push(delivery.seq),
                None => groups.push((delivery.logs, delivery.partition, vec![delivery.seq])),
            }
            messages.push(delivery.message);
        }
        let mut first_error = None;
        for (logs, partition, seqs) in groups {
            let log = logs.log(partition);
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
