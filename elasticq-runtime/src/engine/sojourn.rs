//! Time in queue, sampled: a message pushed by a sampled push is followed, by its position
//! in its lane's FIFO order, until the pop (or the eviction) that takes it out.
//!
//! A message carries no timestamp, so the engine that holds it remembers one message at a
//! time per lane: its position (the engine's own count of the push that queued it) and the
//! instant its push began. Every pop compares the position it took with the remembered one:
//! - equal: this pop took the followed message; it records the time since the push and
//!   frees the slot for the next sampled push;
//! - past it: the message left before the slot was armed (a pop raced the push's return);
//!   the slot is freed and nothing is recorded.
//!
//! An eviction under `drop_oldest` takes a message out as a pop does, and counts the same.
//!
//! Which pushes are sampled is decided above the engines, by the metrics layer's 1-in-256
//! sampler: it marks the calling thread for the duration of a sampled push
//! ([`sampled_push`]), and the engine that queues the message takes the mark. A push while
//! a message is followed is not followed, so under load the samples lean to the messages
//! pushed right after the followed one left: at most one per lane is in flight.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::{AtomicU64, Ordering};

/// Where a lane reports the time its followed messages spent queued: the metrics layer's
/// histogram, behind a function so that engines need not know the recorder.
#[derive(Clone)]
pub struct TimeInQueue(Arc<dyn Fn(Duration) + Send + Sync>);

impl TimeInQueue {
    /// Reports each followed message's time in queue to `record`.
    ///
    /// ```
    /// use elasticq_runtime::TimeInQueue;
    /// let follower = TimeInQueue::new(|took| println!("queued for {took:?}"));
    /// # drop(follower);
    /// ```
    pub fn new(record: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        Self(Arc::new(record))
    }
}

impl std::fmt::Debug for TimeInQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimeInQueue")
    }
}

thread_local! {
    /// When the calling thread's sampled push began, while it runs.
    static SAMPLED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `push` as a sampled push that began at `started`: the engine that queues its message
/// follows it (if it follows none already).
#[cfg(any(feature = "metrics", test))]
pub(crate) fn sampled_push<R>(started: Instant, push: impl FnOnce() -> R) -> R {
    /// Clears the mark when the push returns or unwinds (a weight hook may panic), so that
    /// no later push on the thread takes it.
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            SAMPLED.with(|sampled| sampled.set(None));
        }
    }
    SAMPLED.with(|sampled| sampled.set(Some(started)));
    let _clear = Clear;
    push()
}

/// Takes the calling thread's mark: `Some(start)` once, inside a sampled push.
#[inline]
fn take_mark() -> Option<Instant> {
    SAMPLED.with(Cell::take)
}

/// The slot is free.
const FREE: u64 = 0;
/// A thread is arming or recording; others leave the slot alone.
const BUSY: u64 = 1;
/// `segment` and `position` name the followed message.
const ARMED: u64 = 2;

/// One lane's followed message. Positions are ordered pairs: the number of the ring (or 0
/// for an engine with one sequence) and the position within it, both only growing.
pub(crate) struct Follower {
    record: TimeInQueue,
    epoch: Instant,
    state: AtomicU64,
    ring: AtomicU64,
    position: AtomicU64,
    /// Nanoseconds from `epoch` to the followed push's start.
    pushed_at: AtomicU64,
}

impl Follower {
    pub(crate) fn new(record: TimeInQueue) -> Self {
        Self {
            record,
            epoch: Instant::now(),
            state: AtomicU64::new(FREE),
            ring: AtomicU64::new(0),
            position: AtomicU64::new(0),
            pushed_at: AtomicU64::new(0),
        }
    }

    /// A push queued a message at (`ring`, `position`): follows it if the push was sampled
    /// and the slot is free.
    #[inline]
    pub(crate) fn pushed(&self, ring: u64, position: u64) {
        let Some(started) = take_mark() else {
            return;
        };
        if self
            .state
            .compare_exchange(FREE, BUSY, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let since = started.saturating_duration_since(self.epoch);
        self.pushed_at.store(
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.ring.store(ring, Ordering::Relaxed);
        self.position.store(position, Ordering::Relaxed);
        // Release: a pop that sees ARMED sees the three stores above.
        self.state.store(ARMED, Ordering::Release);
    }

    /// A pop (or an eviction) took the message at (`ring`, `position`) out of the lane.
    #[inline]
    pub(crate) fn popped(&self, ring: u64, position: u64) {
        self.popped_through(ring, position, position);
    }

    /// A pop took the messages at positions `first..=last` of `ring` out of the lane.
    #[inline]
    pub(crate) fn popped_through(&self, ring: u64, first: u64, last: u64) {
        if self.state.load(Ordering::Acquire) != ARMED {
            return;
        }
        let followed = (
            self.ring.load(Ordering::Relaxed),
            self.position.load(Ordering::Relaxed),
        );
        if (ring, last) < followed {
            return;
        }
        // This pop took the followed message, or one after it: the slot is this thread's to
        // free (another pop past it may free it first; then there is nothing to do).
        if self
            .state
            .compare_exchange(ARMED, BUSY, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        // Re-read under BUSY: a slot freed and armed again since the first read follows a
        // later message.
        let followed = (
            self.ring.load(Ordering::Relaxed),
            self.position.load(Ordering::Relaxed),
        );
        if ring == followed.0 && (first..=last).contains(&followed.1) {
            let pushed_at = Duration::from_nanos(self.pushed_at.load(Ordering::Relaxed));
            let now = self.epoch.elapsed();
            (self.record.0)(now.saturating_sub(pushed_at));
        }
        if (ring, last) >= followed {
            self.state.store(FREE, Ordering::Release);
        } else {
            self.state.store(ARMED, Ordering::Release);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! loom models of the follower: a pop racing the push that arms it, and two pops racing
    //! to free it. Over every interleaving: at most one time is recorded per followed
    //! message, only by the pop of its position, and the slot ends free for the next one.
    //! Run with `lock_free/loom_tests.rs`'s command (the filter `loom` takes these too).

    use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
    use std::sync::Arc as StdArc;

    use loom::sync::Arc;
    use loom::thread;

    use super::*;

    fn counting() -> (Follower, StdArc<AtomicUsize>) {
        let recorded = StdArc::new(AtomicUsize::new(0));
        let sink = StdArc::clone(&recorded);
        let follower = Follower::new(TimeInQueue::new(move |_| {
            sink.fetch_add(1, StdOrdering::Relaxed);
        }));
        (follower, recorded)
    }

    /// The slot is free: a sampled push arms it and the pop of its position records once.
    fn assert_free(follower: &Follower, recorded: &AtomicUsize) {
        let before = recorded.load(StdOrdering::Relaxed);
        sampled_push(Instant::now(), || follower.pushed(9, 0));
        follower.popped(9, 0);
        assert_eq!(recorded.load(StdOrdering::Relaxed), before + 1);
    }

    #[test]
    fn loom_a_pop_racing_the_arming_push() {
        loom::model(|| {
            let (follower, recorded) = counting();
            let follower = Arc::new(follower);
            let pusher = {
                let follower = Arc::clone(&follower);
                thread::spawn(move || sampled_push(Instant::now(), || follower.pushed(0, 7)))
            };
            let popper = {
                let follower = Arc::clone(&follower);
                thread::spawn(move || follower.popped(0, 7))
            };
            pusher.join().unwrap();
            popper.join().unwrap();
            // Popped before it was armed: the slot still follows position 7, which the next
            // pop (past it) frees without recording.
            assert!(recorded.load(StdOrdering::Relaxed) <= 1);
            follower.popped(0, 8);
            assert!(recorded.load(StdOrdering::Relaxed) <= 1);
            assert_free(&follower, &recorded);
        });
    }

    #[test]
    fn loom_two_pops_racing_past_the_followed_position() {
        loom::model(|| {
            let (follower, recorded) = counting();
            sampled_push(Instant::now(), || follower.pushed(0, 5));
            let follower = Arc::new(follower);
            let pops: Vec<_> = [5, 6]
                .into_iter()
                .map(|position| {
                    let follower = Arc::clone(&follower);
                    thread::spawn(move || follower.popped(0, position))
                })
                .collect();
            for pop in pops {
                pop.join().unwrap();
            }
            // The pop of 5 records unless the pop of 6 freed the slot first.
            assert!(recorded.load(StdOrdering::Relaxed) <= 1);
            assert_free(&follower, &recorded);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn recording() -> (Follower, Arc<Mutex<Vec<Duration>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let follower = Follower::new(TimeInQueue::new(move |took| {
            sink.lock().unwrap().push(took);
        }));
        (follower, seen)
    }

    #[test]
    fn an_unsampled_push_is_not_followed() {
        let (follower, seen) = recording();
        follower.pushed(0, 5);
        follower.popped(0, 5);
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn the_pop_of_the_followed_position_records_once() {
        let (follower, seen) = recording();
        let started = Instant::now();
        sampled_push(started, || follower.pushed(0, 7));
        follower.popped(0, 6); // an earlier message
        assert!(seen.lock().unwrap().is_empty());
        std::thread::sleep(Duration::from_millis(2));
        follower.popped(0, 7);
        follower.popped(0, 8);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(seen[0] >= Duration::from_millis(2), "{seen:?}");
    }

    #[test]
    fn a_missed_message_frees_the_slot_unrecorded() {
        let (follower, seen) = recording();
        sampled_push(Instant::now(), || follower.pushed(1, 3));
        follower.popped(2, 0); // a later ring: position 3 of ring 1 left before
        follower.popped(1, 3); // (the slot was freed: not recorded)
        assert!(seen.lock().unwrap().is_empty());
        // Free again: the next sampled push is followed.
        sampled_push(Instant::now(), || follower.pushed(2, 9));
        follower.popped(2, 9);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_batch_that_takes_the_followed_position_records_it() {
        let (follower, seen) = recording();
        sampled_push(Instant::now(), || follower.pushed(0, 10));
        follower.popped_through(0, 0, 9);
        assert!(seen.lock().unwrap().is_empty());
        follower.popped_through(0, 10, 19);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn one_message_is_followed_at_a_time_and_the_mark_is_taken_once() {
        let (follower, seen) = recording();
        sampled_push(Instant::now(), || {
            follower.pushed(0, 1);
            follower.pushed(0, 2); // the same push's mark, taken already
        });
        sampled_push(Instant::now(), || follower.pushed(0, 3)); // the slot is busy
        follower.popped(0, 1);
        follower.popped(0, 2);
        follower.popped(0, 3);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }
}
