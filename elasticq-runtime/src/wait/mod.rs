//! Waiting: sleeping until the other side of a queue acts, for the blocking calls
//! (`WaitQueue`, here), and waking tasks for the async calls ([`Signal`], `signal`).
//!
//! Both sit below the engines: an engine sleeps through a `WaitQueue` and turns its
//! shortcuts off inside [`strictly`], and nothing here names an engine, a layer or a queue,
//! only the atomics of the loom shim. The two kinds of waiting rest on the same pairing of
//! SeqCst operations, described below for threads and in `signal` for tasks.
//!
//! # Blocking waits
//!
//! A blocking wait costs nothing to the side that does not sleep.
//!
//! The fast path of a push or pop only loads `sleepers` (a plain load on x86) and takes the
//! mutex when someone sleeps. A lost wake-up is ruled out by a Dekker-style pairing of
//! sequentially consistent operations, with no fence on either side: a sleeper increments
//! `sleepers` (SeqCst) and then re-checks the queue, whose emptiness and fullness checks are
//! SeqCst loads of the ring's tail and head; the other side changes the queue with a SeqCst
//! compare-exchange of that word and then loads `sleepers` (SeqCst). In the single total
//! order of those operations, either the re-check sees the change or the load sees the
//! sleeper, which is then woken.
//!
//! A sleeper makes its attempts without the mutex: it reads the notification count first
//! and goes to sleep only if that has not moved, checked under the mutex, so a notification
//! cannot slip in before it sleeps, and a notifier never waits for another thread's push or
//! pop, only for that constant-time check.

mod signal;

#[cfg(feature = "tokio")]
pub(crate) use self::signal::SignalSource;
pub use self::signal::{Signal, Waiter};

use std::cell::Cell;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::PopError;
use crate::sync::{AtomicUsize, Ordering};

/// The deadline `timeout` from now; `None` when it lies beyond what `Instant` can represent,
/// which callers treat as "wait forever".
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

pub(crate) struct WaitQueue {
    sleepers: AtomicUsize,
    /// Bumped by every notification that found a sleeper. A sleeper reads it before its
    /// attempt and goes to sleep only if it has not moved since, checked under `lock`: so
    /// the attempt itself runs without the mutex, and a notifier never waits for a
    /// sleeper's push or pop, only for the constant-time check-and-sleep below.
    notifications: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl WaitQueue {
    pub(crate) fn new() -> Self {
        Self {
            sleepers: AtomicUsize::new(0),
            notifications: AtomicUsize::new(0),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Wakes one sleeper, if any. Call after the change it waits for is visible.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            self.wake(false);
        }
    }

    /// Wakes every sleeper, if any.
    #[inline]
    pub(crate) fn notify_all(&self) {
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            self.wake(true);
        }
    }

    #[cold]
    fn wake(&self, all: bool) {
        self.notifications.fetch_add(1, Ordering::SeqCst);
        // Taking the lock orders the wake-up after any sleeper's check of `notifications`:
        // a sleeper that saw the old value is asleep by the time the lock is free.
        drop(self.lock.lock());
        if all {
            self.condvar.notify_all();
        } else {
            self.condvar.notify_one();
        }
    }

    /// Sleeps until notified, `deadline` or `slice_end` (whichever is first), unless a
    /// notification came since `seen` was read. Returns whether `deadline` has passed.
    fn sleep(&self, seen: usize, deadline: Option<Instant>, slice_end: Option<Instant>) -> bool {
        let until = match (deadline, slice_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut guard = self.lock.lock();
        if self.notifications.load(Ordering::SeqCst) == seen {
            match until {
                Some(until) => {
                    self.condvar.wait_until(&mut guard, until);
                }
                None => self.condvar.wait(&mut guard),
            }
        }
        drop(guard);
        deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Runs `attempt` until it returns true, sleeping between tries until notified, or until
    /// `deadline` passes (`None`: no deadline). Returns whether an attempt succeeded; one
    /// last attempt is made at the deadline. `attempt` runs without any lock held.
    pub(crate) fn wait_until(
        &self,
        deadline: Option<Instant>,
        attempt: impl FnMut() -> bool,
    ) -> bool {
        self.wait(deadline, None, attempt)
    }

    /// Like [`wait_until`](Self::wait_until), but re-runs `attempt` at least every
    /// [`LAYER_RECHECK`] even without a notification. For the layers over engines, whose
    /// pushes notify after the engine's own synchronisation rather than after a SeqCst
    /// operation of their own: the Dekker pairing above does not hold there, so a wake-up may
    /// be missed, and the re-check bounds how long that delays a waiter.
    pub(crate) fn wait_rechecking(
        &self,
        deadline: Option<Instant>,
        attempt: impl FnMut() -> bool,
    ) -> bool {
        self.wait(deadline, Some(LAYER_RECHECK), attempt)
    }

    fn wait(
        &self,
        deadline: Option<Instant>,
        recheck: Option<std::time::Duration>,
        mut attempt: impl FnMut() -> bool,
    ) -> bool {
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let done = loop {
            let seen = self.notifications.load(Ordering::SeqCst);
            if attempt() {
                break true;
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break false;
            }
            let slice_end = recheck.map(|recheck| Instant::now() + recheck);
            if self.sleep(seen, deadline, slice_end) {
                break attempt();
            }
        };
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        done
    }
}

/// How long a waiter on a layered queue sleeps at most between two looks at the queue.
pub(crate) const LAYER_RECHECK: std::time::Duration = std::time::Duration::from_millis(2);

/// `pop_timeout` for a layered queue: `pop` until it yields, `timeout` passes
/// (`PopError::Timeout`), or the queue is closed and empty (`PopError::Closed`).
pub(crate) fn pop_waiting<T>(
    waiters: &WaitQueue,
    timeout: std::time::Duration,
    mut pop: impl FnMut() -> Option<T>,
    is_closed: impl Fn() -> bool,
) -> Result<T, PopError> {
    if let Some(value) = pop() {
        return Ok(value);
    }
    let deadline = deadline_after(timeout);
    let mut popped = None;
    let mut closed = false;
    waiters.wait_rechecking(deadline, || {
        // Closed is read before popping: a message pushed before the close is still found.
        closed = is_closed();
        popped = pop();
        popped.is_some() || closed
    });
    match popped {
        Some(value) => Ok(value),
        None if closed => Err(PopError::Closed),
        None => Err(PopError::Timeout),
    }
}

std::thread_local! {
    /// Whether this thread is making the second look of an async waiter (see
    /// [`strictly`]).
    static STRICT: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, the second look of a waiter that has just registered, with the shortcuts of
/// locked engines turned off: their pops and emptiness checks take the lock instead of
/// reading the length published at its last release.
///
/// That is what lets a notifier skip any fence. A push into a locked engine is made under
/// its lock and followed by a plain load of the waiter count; a second look that takes the
/// same lock either comes after that push's unlock (and sees the message), or before its
/// lock, and then the registration happens before the notifier's load (which sees the
/// waiter). The published length gives no such order, so the second look must not trust it.
// Only the async calls make a second look.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) fn strictly<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STRICT.with(|strict| strict.set(self.0));
        }
    }
    let _restore = Restore(STRICT.with(|strict| strict.replace(true)));
    f()
}

/// Whether the current call runs inside [`strictly`]: a locked engine must take its lock
/// rather than trust its published length.
#[inline]
pub(crate) fn is_strict() -> bool {
    STRICT.with(Cell::get)
}
