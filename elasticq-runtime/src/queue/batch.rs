//! The futures behind `pop_batch_async` and, for persisted queues, `pop_delivery_async` and
//! `pop_delivery_batch_async`.
//!
//! A batch waits as `pop_async` does, for one wake-up, then takes what is queued up to its
//! maximum in the same poll, as tokio's `Receiver::recv_many` does: one wake-up for the whole
//! batch rather than one per message. Cancellation is `pop_async`'s: messages leave the queue
//! only in the poll that returns them, so dropping a pending future loses nothing, and a
//! wake-up it had received is passed on to another waiting task.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::futures::poll_take;
use super::GeneratedQueue;
use crate::wait::Waiter;

/// The future of a generated queue's `pop_batch_async(max)` (and, over deliveries, of a
/// persisted queue's `pop_delivery_batch_async(max)`): waits for at least one message, then
/// takes up to `max` without waiting more. The batch is empty only once the queue is closed
/// and empty, or when `max` is 0 (then it completes at once, taking nothing). Dropping it
/// before it completes loses no message.
///
/// ```
/// # use elasticq_runtime::{__doc::Jobs, PopBatchAsync};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Jobs::new();
/// (1..=5).for_each(|job| jobs.push(job));
/// assert_eq!(PopBatchAsync::new(&jobs, 3).await, vec![1, 2, 3]);
/// assert_eq!(PopBatchAsync::new(&jobs, 100).await, vec![4, 5]); // what is there, no wait
/// jobs.close();
/// assert!(PopBatchAsync::new(&jobs, 100).await.is_empty()); // closed and empty
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct PopBatchAsync<'a, Q: GeneratedQueue + ?Sized, T = <Q as GeneratedQueue>::Message> {
    queue: &'a Q,
    waiter: Waiter<'a>,
    max: usize,
    take: fn(&Q, usize) -> Vec<T>,
}

impl<'a, Q: GeneratedQueue + ?Sized> PopBatchAsync<'a, Q> {
    /// A batch of up to `max` messages of `queue`, taken with its `pop_batch` once one is
    /// there.
    ///
    /// ```
    /// # let jobs = elasticq_runtime::__doc::Jobs::new();
    /// let batch = elasticq_runtime::PopBatchAsync::new(&jobs, 100); // nothing taken yet
    /// # drop(batch);
    /// ```
    pub fn new(queue: &'a Q, max: usize) -> Self {
        Self::with(queue, max, Q::pop_batch)
    }
}

impl<'a, Q: GeneratedQueue + ?Sized, T> PopBatchAsync<'a, Q, T> {
    /// A batch of up to `max` items, taken by `take(queue, max)` once a message is there:
    /// `take` returns at most `max` items without waiting, and takes from the queue only
    /// what it returns (a persisted queue's batches of deliveries are made this way).
    ///
    /// ```
    /// # use elasticq_runtime::{__doc::Jobs, GeneratedQueue, PopBatchAsync};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let jobs = Jobs::new();
    /// (1..=3).for_each(|job| jobs.push(job));
    /// let oldest_first = |jobs: &Jobs, max| jobs.take(0, max);
    /// assert_eq!(PopBatchAsync::with(&jobs, 2, oldest_first).await, vec![1, 2]);
    /// # });
    /// ```
    pub fn with(queue: &'a Q, max: usize, take: fn(&Q, usize) -> Vec<T>) -> Self {
        Self {
            queue,
            waiter: Waiter::new(&queue.signals().messages),
            max,
            take,
        }
    }
}

// The future holds no item between polls, only references and a function pointer.
impl<Q: GeneratedQueue + ?Sized, T> Unpin for PopBatchAsync<'_, Q, T> {}

impl<Q: GeneratedQueue + ?Sized, T> Future for PopBatchAsync<'_, Q, T> {
    type Output = Vec<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = self.get_mut();
        if this.max == 0 {
            return Poll::Ready(Vec::new());
        }
        let (max, take) = (this.max, this.take);
        poll_take(this.queue, &mut this.waiter, cx, |queue| {
            let batch = take(queue, max);
            (!batch.is_empty()).then_some(batch)
        })
        .map(Option::unwrap_or_default)
    }
}

impl<Q: GeneratedQueue + ?Sized, T> std::fmt::Debug for PopBatchAsync<'_, Q, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopBatchAsync")
            .field("queue", &Q::NAME)
            .field("max", &self.max)
            .finish()
    }
}

/// The future of a persisted queue's `pop_delivery_async`: the next message as a
/// [`Delivery`](crate::Delivery) to acknowledge once handled (feature `persist`), waiting for
/// one; `None` once the queue is closed and empty. More generally, the first item `take`
/// finds. Dropping it before it completes loses no message.
///
/// ```
/// # use elasticq_runtime::{__doc::Jobs, GeneratedQueue, PopOneAsync};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Jobs::new();
/// jobs.push(8);
/// let doubled = |jobs: &Jobs| GeneratedQueue::pop(jobs).map(|job| job * 2);
/// assert_eq!(PopOneAsync::new(&jobs, doubled).await, Some(16));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct PopOneAsync<'a, Q: GeneratedQueue + ?Sized, T> {
    queue: &'a Q,
    waiter: Waiter<'a>,
    take: fn(&Q) -> Option<T>,
}

impl<'a, Q: GeneratedQueue + ?Sized, T> PopOneAsync<'a, Q, T> {
    /// Waits for the first item `take(queue)` finds: `take` does not wait, and takes from the
    /// queue only what it returns.
    ///
    /// ```
    /// # use elasticq_runtime::{__doc::Jobs, GeneratedQueue, PopOneAsync};
    /// # let jobs = Jobs::new();
    /// let next = PopOneAsync::new(&jobs, |jobs: &Jobs| GeneratedQueue::pop(jobs));
    /// # drop(next);
    /// ```
    pub fn new(queue: &'a Q, take: fn(&Q) -> Option<T>) -> Self {
        Self {
            queue,
            waiter: Waiter::new(&queue.signals().messages),
            take,
        }
    }
}

// The future holds no item between polls, only references and a function pointer.
impl<Q: GeneratedQueue + ?Sized, T> Unpin for PopOneAsync<'_, Q, T> {}

impl<Q: GeneratedQueue + ?Sized, T> Future for PopOneAsync<'_, Q, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        poll_take(this.queue, &mut this.waiter, cx, this.take)
    }
}

impl<Q: GeneratedQueue + ?Sized, T> std::fmt::Debug for PopOneAsync<'_, Q, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopOneAsync")
            .field("queue", &Q::NAME)
            .finish()
    }
}
