//! Counters every engine reports.
//!
//! At the crate root because every engine and layer reports a [`Stats`], and the layers sum
//! their lanes' into their own.

/// A snapshot of a queue's counters.
///
/// At any quiescent point (no call in flight) `enqueued == dequeued + dropped + len`. Taken while other
/// threads push and pop, each field is a value it held during the call.
///
/// ```
/// use elasticq_runtime::{Config, LockFreeQueue};
///
/// let queue = LockFreeQueue::new(Config::new())?;
/// queue.push_batch(0..10).unwrap();
/// queue.pop_batch(4);
/// let stats = queue.stats();
/// assert_eq!((stats.enqueued, stats.dequeued, stats.len), (10, 4, 6));
/// assert_eq!(stats.enqueued, stats.dequeued + stats.len as u64);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Messages accepted by a push.
    pub enqueued: u64,
    /// Messages handed out by a pop (including `clear` and `drain`).
    pub dequeued: u64,
    /// Pushes refused (full or closed); a refused batch counts each message it handed back.
    pub rejected: u64,
    /// Times the capacity changed (growths and shrinks).
    pub resizes: u64,
    /// Messages in the queue.
    pub len: usize,
    /// The queue's capacity.
    pub capacity: usize,
    /// Messages evicted to make room under `overflow = drop_oldest` (not counted in
    /// `dequeued`).
    pub dropped: u64,
    /// The weight of the queued messages, with a byte bound (`capacity(max_bytes = N)`); 0
    /// without one.
    pub bytes: usize,
    /// Deliveries handed back with `nack` and queued again (persisted queues).
    pub redelivered: u64,
    /// Map mode: puts that replaced an entry already queued under the same key.
    pub overwrites: u64,
    /// Map mode: puts ignored because the entry queued under their key had a newer (or the
    /// same) version.
    pub stale: u64,
    /// With priority levels: the counters of each level, lowest first (summed over
    /// partitions). Empty without priorities.
    pub levels: Vec<Stats>,
    /// With partitions: the counters of each partition, in partition order, each with its own
    /// `levels`. Empty for a queue that is not partitioned.
    pub partitions: Vec<Stats>,
}

impl Stats {
    /// Adds `other`'s counters into `self`, level by level.
    pub(crate) fn absorb(&mut self, other: &Stats) {
        self.enqueued += other.enqueued;
        self.dequeued += other.dequeued;
        self.rejected += other.rejected;
        self.resizes += other.resizes;
        self.len = self.len.saturating_add(other.len);
        self.capacity = self.capacity.saturating_add(other.capacity);
        self.overwrites += other.overwrites;
        self.stale += other.stale;
        self.dropped += other.dropped;
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.redelivered += other.redelivered;
        if self.levels.len() < other.levels.len() {
            self.levels.resize(other.levels.len(), Stats::default());
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.absorb(theirs);
        }
    }
}
