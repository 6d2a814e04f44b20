//! A message taken from a JetStream queue and not yet settled: the server redelivers it
//! unless it is acknowledged within the ack wait. Every settlement waits for the server's
//! confirmation (a double ack), so `Ok` means the server has recorded it: an `ack` whose
//! reply is lost reports an error rather than a success that may not have happened.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::Message as RawMessage;

use super::error::JetStreamError;
use super::queue::Counters;

/// A message delivered by a [`JetStreamQueue`](crate::JetStreamQueue), to be settled with
/// [`ack`](Self::ack), [`nack`](Self::nack), [`nack_after`](Self::nack_after) or
/// [`term`](Self::term). Dropped unsettled (or its process killed), it is delivered again
/// once the consumer's ack wait ends, to this process or another.
///
/// ```no_run
/// use elasticq_runtime::{Codec, JetStreamError, JetStreamQueue, Message};
///
/// async fn handle<M: Message + Codec>(queue: &JetStreamQueue<M>) -> Result<(), JetStreamError> {
///     let delivery = queue.pop_delivery_async().await?;
///     if delivery.delivered() < 3 {
///         delivery.nack_after(std::time::Duration::from_secs(1)).await?; // try again later
///     } else {
///         delivery.term().await?; // give up on it
///     }
///     Ok(())
/// }
/// ```
pub struct JetStreamDelivery<M> {
    pub(crate) message: M,
    pub(crate) raw: RawMessage,
    pub(crate) partition: usize,
    pub(crate) level: usize,
    pub(crate) delivered: u64,
    pub(crate) sequence: u64,
    pub(crate) counters: Arc<Counters>,
}

impl<M> JetStreamDelivery<M> {
    /// The message.
    pub fn message(&self) -> &M {
        &self.message
    }

    /// The partition it was pushed to.
    pub fn partition(&self) -> usize {
        self.partition
    }

    /// Its priority level (0 without levels).
    pub fn level(&self) -> usize {
        self.level
    }

    /// How many times the server has delivered it, this delivery included (1 the first time).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Its sequence number in the stream.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Acknowledges it: the server removes it from the stream. Returns the message.
    ///
    /// On `Err` the server may or may not have recorded the acknowledgement; if it did not,
    /// the message is delivered again once the ack wait ends.
    pub async fn ack(self) -> Result<M, JetStreamError> {
        self.settle(AckKind::Ack).await?;
        self.counters.acked.add(1);
        Ok(self.message)
    }

    /// Acknowledges a batch, the acknowledgements sent together and each confirmed. On
    /// `Err`, some may have been recorded; the others are delivered again.
    pub async fn ack_all(batch: Vec<Self>) -> Result<Vec<M>, JetStreamError> {
        if let (_, Some(error)) = Self::settle_each(&batch, AckKind::Ack).await {
            return Err(error);
        }
        Ok(batch.into_iter().map(|d| d.message).collect())
    }

    /// Settles every delivery of `batch` the same way, the requests sent together and each
    /// confirmed; returns how many the server confirmed and the first error.
    pub(crate) async fn settle_each(
        batch: &[Self],
        kind: AckKind,
    ) -> (u64, Option<JetStreamError>) {
        let requests = batch.iter().map(|d| d.raw.double_ack_with(kind));
        let results = futures_util::future::join_all(requests).await;
        let confirmed = results.iter().filter(|r| r.is_ok()).count() as u64;
        let error = results
            .into_iter()
            .find_map(Result::err)
            .map(JetStreamError::Ack);
        if let Some(counters) = batch.first().map(|d| &d.counters) {
            match kind {
                AckKind::Ack => counters.acked.add(confirmed),
                AckKind::Term => counters.terminated.add(confirmed),
                AckKind::Nak(_) => counters.nacked.add(confirmed),
                _ => {}
            }
        }
        (confirmed, error)
    }

    /// Hands it back for delivery again now, to this consumer or another.
    pub async fn nack(self) -> Result<(), JetStreamError> {
        self.settle(AckKind::Nak(None)).await?;
        self.counters.nacked.add(1);
        Ok(())
    }

    /// Hands it back for delivery again after `delay`.
    pub async fn nack_after(self, delay: Duration) -> Result<(), JetStreamError> {
        self.settle(AckKind::Nak(Some(delay))).await?;
        self.counters.nacked.add(1);
        Ok(())
    }

    /// Stops its deliveries without processing it (a message that can never succeed).
    /// Work-queue retention removes it from the stream; keep it elsewhere first (a dead
    /// letter) if it must not be lost.
    pub async fn term(self) -> Result<M, JetStreamError> {
        self.settle(AckKind::Term).await?;
        self.counters.terminated.add(1);
        Ok(self.message)
    }

    /// Tells the server the message is still being worked on: its ack wait starts again.
    pub async fn in_progress(&self) -> Result<(), JetStreamError> {
        self.settle(AckKind::Progress).await
    }

    async fn settle(&self, kind: AckKind) -> Result<(), JetStreamError> {
        self.raw
            .double_ack_with(kind)
            .await
            .map_err(JetStreamError::Ack)
    }
}

impl<M> std::ops::Deref for JetStreamDelivery<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.message
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for JetStreamDelivery<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamDelivery")
            .field("message", &self.message)
            .field("partition", &self.partition)
            .field("level", &self.level)
            .field("delivered", &self.delivered)
            .field("sequence", &self.sequence)
            .finish()
    }
}
