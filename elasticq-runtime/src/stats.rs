//! Counters every engine reports.

/// A snapshot of a queue's counters.
///
/// At any quiescent point (no call in flight) `enqueued == dequeued + len`. Taken while other
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
}
