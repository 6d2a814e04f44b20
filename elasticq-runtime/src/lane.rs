//! `Lane`: an engine seen by the layers above it, level by level.

use crate::sync::{AtomicU64, Ordering};
use crate::{Config, Engine, LockFreeQueue, LockedQueue, PushError};

/// A queue the partition layer can hold one of per partition: an [`Engine`] that may have
/// priority levels. A plain engine is a lane of one level, which is what the provided methods
/// describe; [`PriorityLevels`](crate::PriorityLevels) overrides them.
///
/// ```
/// use elasticq_runtime::{Config, Engine, Lane, LockedQueue};
///
/// let lane = LockedQueue::with_config(Config::new())?;
/// lane.push(5u32).unwrap();
/// assert_eq!(lane.levels(), 1);
/// assert_eq!(lane.len_level(0), 1);
/// assert_eq!(lane.pop_level(1), None); // no such level
/// assert_eq!(lane.pop_level(0), Some(5));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub trait Lane<T>: Engine<T> {
    /// The settings the lane was built with.
    fn config(&self) -> &Config;

    /// How many priority levels the lane has.
    fn levels(&self) -> usize {
        1
    }

    /// Pops the oldest message of `level`; `None` if it is empty or there is no such level.
    fn pop_level(&self, level: usize) -> Option<T> {
        if level == 0 {
            self.pop()
        } else {
            None
        }
    }

    /// Runs `f`, inside which the calling thread makes several calls on this lane or lanes
    /// of its kind, with their per-call set-up done once: for
    /// [`LockFreeQueue`](crate::LockFreeQueue), one epoch pin covers every call inside (a
    /// nested pin costs no fence). The layers run a pop that looks at several lanes this way.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Engine, Lane, LockFreeQueue};
    /// let lanes = [LockFreeQueue::with_config(Config::new())?, LockFreeQueue::with_config(Config::new())?];
    /// lanes[1].push(7u8).unwrap();
    /// let found = lanes[0].pinned(|| lanes.iter().find_map(|lane| lane.pop()));
    /// assert_eq!(found, Some(7));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }

    /// How many messages `level` holds (0 for a level that does not exist).
    fn len_level(&self, level: usize) -> usize {
        if level == 0 {
            self.len()
        } else {
            0
        }
    }
}

impl<T> Lane<T> for LockedQueue<T> {
    fn config(&self) -> &Config {
        LockedQueue::config(self)
    }
}

impl<T> Lane<T> for LockFreeQueue<T> {
    fn config(&self) -> &Config {
        LockFreeQueue::config(self)
    }

    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        LockFreeQueue::pinned(self, f)
    }
}

/// `push_batch` for a layer: pushes each item with `push`, in order; on the first refusal,
/// hands back that item and every one after it. A closed layer refuses the whole batch, even
/// an empty one, as the engines do. `rejected` is the layer's own refusal counter: the lane
/// that refused the first item has counted it, the layer counts the rest.
pub(crate) fn push_each<T>(
    items: impl IntoIterator<Item = T>,
    closed: bool,
    rejected: &AtomicU64,
    mut push: impl FnMut(T) -> Result<(), PushError<T>>,
) -> Result<(), PushError<Vec<T>>> {
    let mut items = items.into_iter();
    if closed {
        let all: Vec<T> = items.collect();
        rejected.fetch_add(all.len() as u64, Ordering::Relaxed);
        return Err(PushError::Closed(all));
    }
    while let Some(value) = items.next() {
        if let Err(error) = push(value) {
            let rest: PushError<Vec<T>> =
                error.map(|value| std::iter::once(value).chain(items).collect());
            let handed_back = match &rest {
                PushError::Full(rest)
                | PushError::Closed(rest)
                | PushError::InvalidPriority(rest)
                | PushError::Persist(rest, _) => rest.len(),
            };
            rejected.fetch_add(handed_back.saturating_sub(1) as u64, Ordering::Relaxed);
            return Err(rest);
        }
    }
    Ok(())
}
