//! [`Stream`] and [`Sink`] adapters over a generated queue.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;

use super::futures::{poll_pop, poll_push};
use super::GeneratedQueue;
use crate::error::PushError;
use crate::wait::Waiter;

/// A generated queue's `stream()`: yields messages as they arrive and ends once the queue
/// is closed and empty. Several streams (and other consumers) may share one queue; each
/// message goes to one of them. Dropping the stream loses no message.
///
/// ```
/// # use elasticq_runtime::__doc::Jobs;
/// use futures_core::Stream;
/// # let jobs = Jobs::new();
/// let stream = elasticq_runtime::QueueStream::new(&jobs);
/// # fn is_stream(_: impl Stream<Item = u32>) {}
/// is_stream(stream);
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct QueueStream<'a, Q: GeneratedQueue + ?Sized> {
    queue: &'a Q,
    waiter: Waiter<'a>,
}

impl<'a, Q: GeneratedQueue + ?Sized> QueueStream<'a, Q> {
    /// A stream of the messages popped from `queue`.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let jobs = Jobs::new();
    /// let stream = elasticq_runtime::QueueStream::new(&jobs);
    /// # drop(stream);
    /// ```
    pub fn new(queue: &'a Q) -> Self {
        Self {
            queue,
            waiter: Waiter::new(&queue.signals().messages),
        }
    }
}

impl<Q: GeneratedQueue + ?Sized> Stream for QueueStream<'_, Q> {
    type Item = Q::Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Q::Message>> {
        let this = self.get_mut();
        poll_pop(this.queue, &mut this.waiter, cx)
    }
}

impl<Q: GeneratedQueue + ?Sized> std::fmt::Debug for QueueStream<'_, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueStream")
            .field("queue", &Q::NAME)
            .finish()
    }
}

/// A generated queue's `sink()`: `send` waits while the queue is full at its maximum
/// (backpressure). Its error is the queue's [`PushError`], which hands the message back.
/// Closing the sink flushes it; it does not close the queue, which other producers may share
/// (call the queue's `close` for that).
///
/// ```
/// # use elasticq_runtime::__doc::Jobs;
/// use futures_sink::Sink;
/// # let jobs = Jobs::new();
/// let sink = elasticq_runtime::QueueSink::new(&jobs);
/// # fn is_sink(_: impl Sink<u32, Error = elasticq_runtime::PushError<u32>>) {}
/// is_sink(sink);
/// ```
#[must_use = "sinks do nothing unless polled"]
pub struct QueueSink<'a, Q: GeneratedQueue + ?Sized> {
    queue: &'a Q,
    waiter: Waiter<'a>,
    pending: Option<Q::Message>,
}

// The buffered message is only ever moved, never pinned.
impl<Q: GeneratedQueue + ?Sized> Unpin for QueueSink<'_, Q> {}

impl<'a, Q: GeneratedQueue + ?Sized> QueueSink<'a, Q> {
    /// A sink pushing into `queue`.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let jobs = Jobs::new();
    /// let sink = elasticq_runtime::QueueSink::new(&jobs);
    /// # drop(sink);
    /// ```
    pub fn new(queue: &'a Q) -> Self {
        Self {
            queue,
            waiter: Waiter::new(&queue.signals().room),
            pending: None,
        }
    }

    /// The message accepted by `start_send` and not yet pushed, if any; taking it back
    /// keeps it from being pushed.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let jobs = Jobs::new();
    /// let mut sink = elasticq_runtime::QueueSink::new(&jobs);
    /// assert_eq!(sink.take_pending(), None);
    /// ```
    pub fn take_pending(&mut self) -> Option<Q::Message> {
        self.pending.take()
    }
}

impl<Q: GeneratedQueue + ?Sized> Sink<Q::Message> for QueueSink<'_, Q> {
    type Error = PushError<Q::Message>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        poll_push(this.queue, &mut this.waiter, &mut this.pending, cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Q::Message) -> Result<(), Self::Error> {
        let this = self.get_mut();
        // `poll_ready` empties the slot. A caller that skipped it while an earlier message
        // still waits gets the new one back, so the two cannot change order.
        if this.pending.is_some() {
            return Err(PushError::Full(message));
        }
        this.pending = Some(message);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_ready(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_ready(cx)
    }
}

impl<Q: GeneratedQueue + ?Sized> std::fmt::Debug for QueueSink<'_, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueSink")
            .field("queue", &Q::NAME)
            .field("pending", &self.pending.is_some())
            .finish()
    }
}
