//! `Returns`: deliveries handed back with [`Delivery::nack`](super::Delivery::nack), waiting at
//! the front of their lanes, and those handed back with a delay
//! ([`Delivery::nack_after`](super::Delivery::nack_after)) waiting for their time.
//!
//! The engines only push at the back, so a returned message is not pushed into them: it waits
//! here, per partition and level, and every pop of its lane takes it before the engine's
//! messages. Returned messages of one lane wait in sequence order, which is the order they
//! were queued in, so a batch handed back message by message comes back as it was taken.
//!
//! Nothing is written to the log: a returned record stays unacknowledged, so a crash (or
//! dropping the queue) while it waits here brings it back at the next `open`, once, like any
//! message not acknowledged.
//!
//! The cost when nothing is returned: the pops of [`Persistent`](super::Persistent) load
//! `pending` (one load, no lock) and go straight to the engines while it is 0.

use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use super::logs::Logs;
use super::owed::HeldLanes;
use crate::message::Recorded;
use crate::queue::Signals;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::wait::WaitQueue;

/// What a persisted queue shares with its deliveries: the logs (acknowledgements), where
/// returned messages wait, and the wake-ups of the queue's waiters.
pub(crate) struct Returns<M> {
    pub(super) logs: Arc<Logs>,
    /// Returned messages waiting in every partition: the one load of the pops' fast path.
    pending: CachePadded<AtomicUsize>,
    partitions: HeldLanes<M>,
    /// `M`'s priority level (`Message::level`), kept so that `Delivery` needs no bound.
    level_of: fn(&M) -> usize,
    /// Messages put back in their lanes (`stats().redelivered`).
    redelivered: AtomicU64,
    /// Returned messages taken out again (counted in `stats().dequeued`).
    taken: AtomicU64,
    /// Which partition an any-partition pop looks at first for returned messages.
    turn: AtomicUsize,
    /// Blocking `pop_timeout`s of the queue wait here; pushes and returns notify it.
    pub(super) arrivals: WaitQueue,
    /// The generated queue's async wake-ups (shared with it).
    pub(super) signals: Arc<Signals>,
    /// `nack_after`'s messages with their deadlines, and the thread that returns them.
    delayed: Mutex<Vec<(Instant, Recorded<M>)>>,
    timer: Mutex<Option<JoinHandle<()>>>,
    /// Set when the queue is dropped: no timer starts after it.
    stopped: AtomicBool,
}

impl<M> Returns<M> {
    pub(super) fn new(
        logs: Arc<Logs>,
        partitions: usize,
        levels: usize,
        level_of: fn(&M) -> usize,
    ) -> Self {
        Returns {
            logs,
            pending: CachePadded::new(AtomicUsize::new(0)),
            partitions: HeldLanes::new(partitions, levels),
            level_of,
            redelivered: AtomicU64::new(0),
            taken: AtomicU64::new(0),
            turn: AtomicUsize::new(0),
            arrivals: WaitQueue::new(),
            signals: Arc::new(Signals::new()),
            delayed: Mutex::new(Vec::new()),
            timer: Mutex::new(None),
            stopped: AtomicBool::new(false),
        }
    }

    /// Whether any returned message waits: the pops' fast path. SeqCst, as the count's
    /// increments are, so that an async waiter's second look after registering pairs with a
    /// return's signal (see `wait::signal`); it compiles to a plain load on x86.
    #[inline]
    pub(super) fn any(&self) -> bool {
        self.pending.load(Ordering::SeqCst) != 0
    }

    /// How many returned messages wait.
    pub(super) fn len(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// How many returned messages wait in `partition`.
    pub(super) fn len_partition(&self, partition: usize) -> usize {
        self.partitions.len_partition(partition)
    }

    /// How many returned messages wait in `partition` at `level`.
    pub(super) fn len_at(&self, partition: usize, level: usize) -> usize {
        self.partitions.len_at(partition, level)
    }

    pub(super) fn redelivered(&self) -> u64 {
        self.redelivered.load(Ordering::Relaxed)
    }

    pub(super) fn taken(&self) -> u64 {
        self.taken.load(Ordering::Relaxed)
    }

    /// Puts `recorded` back at the front of its lane (among the returned messages there, in
    /// sequence order), counts a redelivery and wakes one waiting consumer.
    pub(super) fn put_back(&self, recorded: Recorded<M>) {
        let Some(waiting) = self.partitions.get(recorded.partition as usize) else {
            // Not a partition of this queue (cannot happen): it stays in the log.
            return;
        };
        {
            let mut levels = waiting.levels.lock();
            let last = levels.len() - 1;
            let lane = &mut levels[(self.level_of)(&recorded.message).min(last)];
            let at = lane.partition_point(|queued| queued.seq < recorded.seq);
            lane.insert(at, recorded);
            waiting.pending.fetch_add(1, Ordering::SeqCst);
            self.pending.fetch_add(1, Ordering::SeqCst);
        }
        self.redelivered.fetch_add(1, Ordering::Relaxed);
        self.arrivals.notify_one();
        self.signals.pushed(1);
    }

    /// The highest level at which `partition` has returned messages.
    pub(super) fn top_level(&self, partition: usize) -> Option<usize> {
        let waiting = self.partitions.get(partition)?;
        if waiting.pending.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let levels = waiting.levels.lock();
        levels.iter().rposition(|lane| !lane.is_empty())
    }

    /// The highest level at which any partition has returned messages.
    pub(super) fn top_level_any(&self) -> Option<usize> {
        (0..self.partitions.len())
            .filter_map(|partition| self.top_level(partition))
            .max()
    }

    /// Takes the oldest returned message of `partition` at `level`.
    pub(super) fn take(&self, partition: usize, level: usize) -> Option<Recorded<M>> {
        let waiting = self.partitions.get(partition)?;
        if waiting.pending.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let recorded = waiting.levels.lock().get_mut(level)?.pop_front()?;
        waiting.pending.fetch_sub(1, Ordering::SeqCst);
        self.pending.fetch_sub(1, Ordering::SeqCst);
        self.taken.fetch_add(1, Ordering::Relaxed);
        Some(recorded)
    }

    /// Takes the oldest returned message at `level` of any partition, the partitions taking
    /// turns.
    pub(super) fn take_any(&self, level: usize) -> Option<Recorded<M>> {
        let partitions = self.partitions.len();
        let start = self.turn.load(Ordering::Relaxed);
        (0..partitions).find_map(|offset| {
            let partition = (start + offset) % partitions;
            let found = self.take(partition, level)?;
            self.turn.store(partition + 1, Ordering::Relaxed);
            Some(found)
        })
    }

    /// Moves the delayed messages whose time has come into their lanes; returns the next
    /// deadline.
    fn release_due(&self, now: Instant) -> Option<Instant> {
        let due: Vec<Recorded<M>> = {
            let mut delayed = self.delayed.lock();
            let mut due = Vec::new();
            let mut index = 0;
            while index < delayed.len() {
                if delayed[index].0 <= now {
                    due.push(delayed.swap_remove(index).1);
                } else {
                    index += 1;
                }
            }
            due
        };
        for recorded in due {
            self.put_back(recorded);
        }
        self.delayed.lock().iter().map(|(at, _)| *at).min()
    }

    /// Stops the timer thread and waits for it (when the queue is dropped). Delayed messages
    /// still waiting stay unacknowledged in the log.
    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let timer = self.timer.lock().take();
        if let Some(timer) = timer {
            timer.thread().unpark();
            let _ = timer.join();
        }
    }
}

impl<M: Send + 'static> Returns<M> {
    /// Puts `recorded` back at `at`: a thread (started with the first delayed return, one per
    /// queue) sleeps until the earliest deadline. It holds the queue weakly, so a dropped
    /// queue's directory is not kept locked, and the queue stops it when dropped.
    pub(super) fn put_back_at(self: &Arc<Self>, at: Instant, recorded: Recorded<M>) {
        if self.stopped.load(Ordering::SeqCst) {
            // The queue is gone: the record stays unacknowledged, for the next `open`.
            return;
        }
        self.delayed.lock().push((at, recorded));
        let mut timer = self.timer.lock();
        if let Some(timer) = timer.as_ref() {
            timer.thread().unpark();
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(self);
        let started = std::thread::Builder::new()
            .name("elasticq-nack-timer".into())
            .spawn(move || loop {
                let Some(returns) = weak.upgrade() else {
                    return;
                };
                if returns.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let next = returns.release_due(Instant::now());
                drop(returns);
                match next {
                    Some(at) => {
                        std::thread::park_timeout(at.saturating_duration_since(Instant::now()))
                    }
                    None => std::thread::park(),
                }
            });
        match started {
            Ok(handle) => *timer = Some(handle),
            Err(error) => {
                // No thread: return the messages at once rather than leave them out.
                drop(timer);
                tracing::warn!(%error, "elasticq: could not start the thread of nack_after; the message is returned at once");
                let due: Vec<_> = self.delayed.lock().drain(..).map(|(_, r)| r).collect();
                for recorded in due {
                    self.put_back(recorded);
                }
            }
        }
    }
}
