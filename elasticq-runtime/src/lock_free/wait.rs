//! Sleeping until the other side of the queue acts, at no cost to the side that does not
//! sleep.
//!
//! The fast path of a push or pop only loads `sleepers` (a plain load on x86) and takes the
//! mutex when someone sleeps. A lost wake-up is ruled out by a Dekker-style pairing of
//! sequentially consistent operations: a sleeper increments `sleepers` (SeqCst) and then
//! re-checks the queue, whose emptiness and fullness checks run after a SeqCst fence; the
//! other side changes the queue with a SeqCst compare-exchange and then loads `sleepers`
//! (SeqCst). In the single total order of those operations, either the re-check sees the
//! change or the load sees the sleeper, which is then woken under the mutex it holds while
//! re-checking, so the notification cannot slip in before it sleeps.

use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::sync::{AtomicUsize, Ordering};

pub(crate) struct WaitQueue {
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl WaitQueue {
    pub(crate) fn new() -> Self {
        Self {
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Wakes one sleeper, if any. Call after the change it waits for is visible.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            drop(self.lock.lock());
            self.condvar.notify_one();
        }
    }

    /// Wakes every sleeper, if any.
    #[inline]
    pub(crate) fn notify_all(&self) {
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            drop(self.lock.lock());
            self.condvar.notify_all();
        }
    }

    /// Runs `attempt` until it returns true, sleeping between tries until notified, or until
    /// `deadline` passes (`None`: no deadline). Returns whether an attempt succeeded; one
    /// last attempt is made at the deadline.
    pub(crate) fn wait_until(
        &self,
        deadline: Option<Instant>,
        mut attempt: impl FnMut() -> bool,
    ) -> bool {
        let mut guard = self.lock.lock();
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let done = loop {
            if attempt() {
                break true;
            }
            match deadline {
                Some(deadline) => {
                    if self.condvar.wait_until(&mut guard, deadline).timed_out() {
                        break attempt();
                    }
                }
                None => self.condvar.wait(&mut guard),
            }
        };
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        done
    }
}
