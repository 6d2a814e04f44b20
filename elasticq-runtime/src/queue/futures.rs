//! The futures behind `push_async`, `pop_async` and `pop_async_timeout`.
//!
//! Cancellation: a message leaves the queue only inside a `poll` that returns it, so dropping
//! a pending [`PopAsync`] loses nothing; a wake-up it had received is passed to another
//! waiting task (see [`Waiter`]). Dropping a pending [`PushAsync`] drops the message it holds,
//! which was never pushed; [`PushAsync::into_message`] takes it back instead.
//!
//! Rejections: a push that waits for room tries again each time it is woken. Those tries are
//! [`GeneratedQueue::push_retry`]s, whose `Full` refusals are not counted in
//! `stats().rejected`: a `push_async` that waits and then pushes counts no rejection, one that
//! ends in an error counts one.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::GeneratedQueue;
use crate::error::{PopError, PushError};
use crate::wait::Waiter;

/// One step of a pop that waits: the message if there is one, `None` once the queue is closed
/// and empty, `Pending` (with the task registered) otherwise.
pub(crate) fn poll_pop<Q: GeneratedQueue + ?Sized>(
    queue: &Q,
    waiter: &mut Waiter<'_>,
    cx: &mut Context<'_>,
) -> Poll<Option<Q::Message>> {
    poll_take(queue, waiter, cx, Q::pop)
}

/// One step of any wait for messages: what `take` found (it returns `None` when it found
/// nothing, and takes from the queue only what it returns), `None` once the queue is closed
/// and `take` finds nothing, `Pending` (with the task registered) otherwise. Nothing leaves
/// the queue in a step that returns `Pending`, so a dropped waiter loses nothing.
pub(crate) fn poll_take<Q: ?Sized + GeneratedQueue, T>(
    queue: &Q,
    waiter: &mut Waiter<'_>,
    cx: &mut Context<'_>,
    mut take: impl FnMut(&Q) -> Option<T>,
) -> Poll<Option<T>> {
    let mut second_look = false;
    loop {
        let taken = if second_look {
            crate::wait::strictly(|| take(queue))
        } else {
            take(queue)
        };
        if taken.is_some() {
            waiter.disarm();
            return Poll::Ready(taken);
        }
        // Closed is read only when nothing was found (a queue with messages pays no look at
        // it), and then before a last look: a message pushed before the close is found.
        if queue.is_closed() {
            let last = crate::wait::strictly(|| take(queue));
            waiter.disarm();
            return Poll::Ready(last);
        }
        if !waiter.arm(cx) {
            return Poll::Pending;
        }
        second_look = true;
    }
}

/// One step of a push that waits for room: `Ready(Ok)` once pushed, `Ready(Err)` for any
/// refusal but a full queue, `Pending` with the message kept in `slot` while full. Its tries
/// go through [`GeneratedQueue::push_retry`], so a full queue it waits on counts no
/// rejection.
pub(crate) fn poll_push<Q: GeneratedQueue + ?Sized>(
    queue: &Q,
    waiter: &mut Waiter<'_>,
    slot: &mut Option<Q::Message>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), PushError<Q::Message>>> {
    loop {
        let Some(message) = slot.take() else {
            return Poll::Ready(Ok(()));
        };
        match queue.push_retry(message) {
            Ok(()) => {
                waiter.disarm();
                return Poll::Ready(Ok(()));
            }
            Err(PushError::Full(message)) => {
                *slot = Some(message);
                if !waiter.arm(cx) {
                    return Poll::Pending;
                }
            }
            Err(refused) => {
                waiter.disarm();
                return Poll::Ready(Err(refused));
            }
        }
    }
}

/// The future of a generated queue's `pop_async`: the next message, or `None` once the
/// queue is closed and empty. Dropping it before it completes loses no message.
///
/// ```
/// # use elasticq_runtime::{__doc::Jobs, PopAsync};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Jobs::new();
/// jobs.push(4);
/// assert_eq!(PopAsync::new(&jobs).await, Some(4));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct PopAsync<'a, Q: GeneratedQueue + ?Sized> {
    queue: &'a Q,
    waiter: Waiter<'a>,
}

impl<'a, Q: GeneratedQueue + ?Sized> PopAsync<'a, Q> {
    /// A pop of `queue` that waits for a message.
    ///
    /// ```
    /// # let jobs = elasticq_runtime::__doc::Jobs::new();
    /// let next = elasticq_runtime::PopAsync::new(&jobs); // a future; nothing is popped yet
    /// # drop(next);
    /// ```
    pub fn new(queue: &'a Q) -> Self {
        Self {
            queue,
            waiter: Waiter::new(&queue.signals().messages),
        }
    }
}

impl<Q: GeneratedQueue + ?Sized> Future for PopAsync<'_, Q> {
    type Output = Option<Q::Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        poll_pop(this.queue, &mut this.waiter, cx)
    }
}

impl<Q: GeneratedQueue + ?Sized> std::fmt::Debug for PopAsync<'_, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopAsync").field("queue", &Q::NAME).finish()
    }
}

/// The future of a generated queue's `push_async`: pushes the message, waiting for room
/// while the queue is full at its maximum. Any other refusal (closed, an invalid priority, a
/// failed log write) completes it with the error, which hands the message back. Dropping it
/// before it completes drops the message, which was not pushed; to keep it, give up with
/// [`into_message`](Self::into_message) instead. Waiting counts no rejection in
/// `stats().rejected`; an error counts one.
///
/// ```
/// # use elasticq_runtime::{__doc::Jobs, PushAsync};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Jobs::new();
/// PushAsync::new(&jobs, 9).await.unwrap();
/// assert_eq!(jobs.len(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited: the message is not pushed"]
pub struct PushAsync<'a, Q: GeneratedQueue + ?Sized> {
    queue: &'a Q,
    waiter: Waiter<'a>,
    message: Option<Q::Message>,
}

// The message is only ever moved, never pinned, so the future may move too.
impl<Q: GeneratedQueue + ?Sized> Unpin for PushAsync<'_, Q> {}

impl<'a, Q: GeneratedQueue + ?Sized> PushAsync<'a, Q> {
    /// A push of `message` into `queue` that waits for room.
    ///
    /// ```
    /// # let jobs = elasticq_runtime::__doc::Jobs::new();
    /// let push = elasticq_runtime::PushAsync::new(&jobs, 1); // pushes when awaited
    /// # drop(push);
    /// ```
    pub fn new(queue: &'a Q, message: Q::Message) -> Self {
        Self {
            queue,
            waiter: Waiter::new(&queue.signals().room),
            message: Some(message),
        }
    }
}

impl<Q: GeneratedQueue + ?Sized> PushAsync<'_, Q> {
    /// Gives up the push: the message if it was not pushed, `None` if it was (the future
    /// completed with `Ok`) or an error handed it back already. Use it on a push cancelled
    /// by a timeout or a `select!`, which would otherwise drop the message with the future.
    /// Any wake-up the future had received is passed on to another waiting task.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::{__doc::Jobs, PushAsync};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let jobs = Jobs::bounded(1);
    /// jobs.push(1);
    /// let mut push = PushAsync::new(&jobs, 2); // the queue is full: it waits
    /// tokio::select! {
    ///     _ = &mut push => unreachable!("nobody pops"),
    ///     _ = tokio::time::sleep(Duration::from_millis(5)) => {}
    /// }
    /// assert_eq!(push.into_message(), Some(2)); // not pushed: handed back
    /// assert_eq!(jobs.len(), 1);
    /// # });
    /// ```
    pub fn into_message(mut self) -> Option<Q::Message> {
        self.message.take()
    }
}

impl<Q: GeneratedQueue + ?Sized> Future for PushAsync<'_, Q> {
    type Output = Result<(), PushError<Q::Message>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        poll_push(this.queue, &mut this.waiter, &mut this.message, cx)
    }
}

impl<Q: GeneratedQueue + ?Sized> std::fmt::Debug for PushAsync<'_, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushAsync")
            .field("queue", &Q::NAME)
            .field("pending", &self.message.is_some())
            .finish()
    }
}

/// The future of a generated queue's `pop_async_timeout`: the next message, or
/// `PopError::Timeout` after `timeout`, or `PopError::Closed` once the queue is closed and
/// empty. A message already queued is returned even with a zero timeout. Needs a tokio
/// runtime with its timer enabled (polling it elsewhere panics, as tokio's timers do).
///
/// ```
/// # use std::time::Duration;
/// # use elasticq_runtime::{__doc::Jobs, PopAsyncTimeout, PopError};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Jobs::new();
/// let waited = PopAsyncTimeout::new(&jobs, Duration::from_millis(10)).await;
/// assert_eq!(waited, Err(PopError::Timeout));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct PopAsyncTimeout<'a, Q: GeneratedQueue + ?Sized> {
    pop: PopAsync<'a, Q>,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<'a, Q: GeneratedQueue + ?Sized> PopAsyncTimeout<'a, Q> {
    /// A pop of `queue` that waits at most `timeout`.
    ///
    /// ```
    /// # let jobs = elasticq_runtime::__doc::Jobs::new();
    /// let next = elasticq_runtime::PopAsyncTimeout::new(&jobs, std::time::Duration::from_secs(1));
    /// # drop(next);
    /// ```
    pub fn new(queue: &'a Q, timeout: Duration) -> Self {
        Self {
            pop: PopAsync::new(queue),
            timeout,
            sleep: None,
        }
    }
}

impl<Q: GeneratedQueue + ?Sized> Future for PopAsyncTimeout<'_, Q> {
    type Output = Result<Q::Message, PopError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(popped) = Pin::new(&mut this.pop).poll(cx) {
            return Poll::Ready(popped.ok_or(PopError::Closed));
        }
        // The timer starts at the first poll that has to wait, so a queue with a message
        // never touches the timer.
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                // The future may be kept after it completes: leave the signal now, so its
                // registration does not take a later notify (or keep one it took since the
                // pop's look) from a task still waiting.
                this.pop.waiter.cancel();
                Poll::Ready(Err(PopError::Timeout))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<Q: GeneratedQueue + ?Sized> std::fmt::Debug for PopAsyncTimeout<'_, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopAsyncTimeout")
            .field("queue", &Q::NAME)
            .field("timeout", &self.timeout)
            .finish()
    }
}
