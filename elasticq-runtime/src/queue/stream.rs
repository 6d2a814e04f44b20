//! [`Stream`] and [`Sink`] adapters over a generated queue, borrowing it or holding an `Arc`
//! of it (the owned forms, which can be moved into a spawned task).

use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;

use super::futures::{poll_pop, poll_push};
use super::{GeneratedQueue, Signals};
use crate::error::PushError;
use crate::wait::{Signal, SignalSource, Waiter};

/// How an adapter reaches its queue: borrowed, or shared through an `Arc` it holds.
enum Handle<'a, Q: ?Sized> {
    Borrowed(&'a Q),
    Owned(Arc<Q>),
}

impl<Q: ?Sized> Deref for Handle<'_, Q> {
    type Target = Q;

    #[inline]
    fn deref(&self) -> &Q {
        match self {
            Handle::Borrowed(queue) => queue,
            Handle::Owned(queue) => queue,
        }
    }
}

/// One of the signals of a queue an owned adapter holds, for that adapter's waiter.
struct SideOf<Q: ?Sized> {
    queue: Arc<Q>,
    side: fn(&Signals) -> &Signal,
}

impl<Q: GeneratedQueue + Send + Sync + ?Sized> SignalSource for SideOf<Q> {
    fn signal(&self) -> &Signal {
        (self.side)(self.queue.signals())
    }
}

/// A waiter on one side of `queue`'s signals that keeps the queue alive.
fn owned_waiter<'a, Q: GeneratedQueue + Send + Sync + ?Sized + 'a>(
    queue: &Arc<Q>,
    side: fn(&Signals) -> &Signal,
) -> Waiter<'a> {
    Waiter::shared(Arc::new(SideOf {
        queue: Arc::clone(queue),
        side,
    }))
}

/// A generated queue's `stream()`: yields messages as they arrive and ends once the queue
/// is closed and empty. Several streams (and other consumers) may share one queue; each
/// message goes to one of them. Dropping the stream loses no message. [`new`](Self::new)
/// borrows the queue, [`owned`](Self::owned) holds an `Arc` of it.
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
    queue: Handle<'a, Q>,
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
            queue: Handle::Borrowed(queue),
            waiter: Waiter::new(&queue.signals().messages),
        }
    }

    /// A stream of the messages popped from `queue` that holds the `Arc` (a generated
    /// queue's `into_stream`): it borrows nothing, so it can be moved into a spawned task.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use elasticq_runtime::__doc::Jobs;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let jobs = Arc::new(Jobs::new());
    /// let mut stream = elasticq_runtime::QueueStream::owned(Arc::clone(&jobs));
    /// let consumer = tokio::spawn(async move {
    ///     std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
    /// });
    /// # use futures_core::Stream;
    /// jobs.push(5);
    /// assert_eq!(consumer.await.unwrap(), Some(5));
    /// # });
    /// ```
    pub fn owned(queue: Arc<Q>) -> Self
    where
        Q: Send + Sync + 'a,
    {
        Self {
            waiter: owned_waiter(&queue, |signals| &signals.messages),
            queue: Handle::Owned(queue),
        }
    }
}

impl<Q: GeneratedQueue + ?Sized> Stream for QueueStream<'_, Q> {
    type Item = Q::Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Q::Message>> {
        let this = self.get_mut();
        poll_pop(&*this.queue, &mut this.waiter, cx)
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
/// (call the queue's `close` for that). Its waits for room count no rejection in
/// `stats().rejected`. [`new`](Self::new) borrows the queue, [`owned`](Self::owned) holds an
/// `Arc` of it.
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
    queue: Handle<'a, Q>,
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
            queue: Handle::Borrowed(queue),
            waiter: Waiter::new(&queue.signals().room),
            pending: None,
        }
    }

    /// A sink pushing into `queue` that holds the `Arc` (a generated queue's `into_sink`, in
    /// the manner of tokio-util's `PollSender`): it borrows nothing, so it can be moved into
    /// a spawned task.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use elasticq_runtime::__doc::Jobs;
    /// use futures_sink::Sink;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let jobs = Arc::new(Jobs::new());
    /// let mut sink = elasticq_runtime::QueueSink::owned(Arc::clone(&jobs));
    /// let producer = tokio::spawn(async move {
    ///     std::future::poll_fn(|cx| std::pin::Pin::new(&mut sink).poll_ready(cx)).await?;
    ///     std::pin::Pin::new(&mut sink).start_send(3)?;
    ///     std::future::poll_fn(|cx| std::pin::Pin::new(&mut sink).poll_flush(cx)).await
    /// });
    /// producer.await.unwrap().unwrap();
    /// assert_eq!(jobs.len(), 1);
    /// # });
    /// ```
    pub fn owned(queue: Arc<Q>) -> Self
    where
        Q: Send + Sync + 'a,
    {
        Self {
            waiter: owned_waiter(&queue, |signals| &signals.room),
            queue: Handle::Owned(queue),
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
        poll_push(&*this.queue, &mut this.waiter, &mut this.pending, cx)
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
