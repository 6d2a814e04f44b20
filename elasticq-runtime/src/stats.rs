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
    /// Pushes refused (for any reason); a refused batch counts each message it handed back.
    /// Of them, [`rejected_closed`](Self::rejected_closed),
    /// [`rejected_invalid_priority`](Self::rejected_invalid_priority) and
    /// [`rejected_write_failed`](Self::rejected_write_failed) say why; the rest, given by
    /// [`rejected_full`](Self::rejected_full), found no room.
    pub rejected: u64,
    /// Of `rejected`, the messages refused because the queue was closed.
    pub rejected_closed: u64,
    /// Of `rejected`, the messages refused because their priority is outside the levels.
    pub rejected_invalid_priority: u64,
    /// Of `rejected`, the messages a persisted queue refused because their record could not
    /// be written or synced.
    pub rejected_write_failed: u64,
    /// Times the capacity changed (growths and shrinks).
    pub resizes: u64,
    /// Messages in the queue.
    pub len: usize,
    /// The queue's capacity.
    pub capacity: usize,
    /// The capacity the queue may grow to: its `max_capacity`, once for each lane (each
    /// partition, and each priority level within it), so that `len / max_capacity` is how
    /// full it is.
    pub max_capacity: usize,
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
    /// Of `rejected`, the messages refused because the queue had no room for them (full,
    /// or the byte bound reached): what no other reason accounts for.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    ///
    /// let queue = LockedQueue::new(Config::new().initial_capacity(1).max_capacity(1))?;
    /// queue.push(1).unwrap();
    /// assert!(queue.push(2).is_err()); // full
    /// queue.close();
    /// assert!(queue.push(3).is_err()); // closed
    /// let stats = queue.stats();
    /// assert_eq!((stats.rejected, stats.rejected_full(), stats.rejected_closed), (2, 1, 1));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn rejected_full(&self) -> u64 {
        self.rejected
            .saturating_sub(self.rejected_closed)
            .saturating_sub(self.rejected_invalid_priority)
            .saturating_sub(self.rejected_write_failed)
    }

    /// Adds `other`'s counters into `self`, level by level.
    pub(crate) fn absorb(&mut self, other: &Stats) {
        self.enqueued += other.enqueued;
        self.dequeued += other.dequeued;
        self.rejected += other.rejected;
        self.rejected_closed += other.rejected_closed;
        self.rejected_invalid_priority += other.rejected_invalid_priority;
        self.rejected_write_failed += other.rejected_write_failed;
        self.max_capacity = self.max_capacity.saturating_add(other.max_capacity);
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
