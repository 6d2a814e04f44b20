//! `Owed`: recovered messages that did not fit under `max_capacity`, held back in order until
//! their lane has room.
//!
//! A log can owe more than `max_capacity`: a queue takes pushes while deliveries are out
//! (the processor holds a whole batch unacknowledged while producers refill), and every
//! unacknowledged delivery comes back at `open`. Recovery must always open, and the owed
//! messages must come back in their places, so the ones a lane (partition and level) cannot
//! take are kept here, oldest first, behind the ones it took. Two rules keep their order:
//!
//! 1. After every call that takes messages out of a partition, its held messages move into
//!    their lanes while there is room (`refill`), before any new push can get that room.
//! 2. A push to a lane that still has held messages is refused as `Full`, without writing
//!    anything: the queue is at or above its maximum until they are all in.
//!
//! Messages are only ever taken out of here, never added after `open`, so once a push sees
//! a lane's hold empty (`pending` reads 0 after the held messages were pushed into the
//! lane), every held message is already ahead of it in the lane.

use std::collections::VecDeque;

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use crate::error::PushError;
use crate::message::Recorded;
use crate::sync::{AtomicUsize, Ordering};

/// The held messages of one partition, per level (here, and the messages handed back with
/// `nack`, in `returns`).
pub(super) struct Held<M> {
    /// How many messages are held in this partition: 0 on every push's fast path.
    pub(super) pending: AtomicUsize,
    pub(super) levels: Mutex<Vec<VecDeque<Recorded<M>>>>,
}

/// The held messages of every partition.
pub(super) struct HeldLanes<M>(Box<[CachePadded<Held<M>>]>);

impl<M> HeldLanes<M> {
    pub(super) fn new(partitions: usize, levels: usize) -> Self {
        HeldLanes(
            (0..partitions)
                .map(|_| {
                    CachePadded::new(Held {
                        pending: AtomicUsize::new(0),
                        levels: Mutex::new((0..levels.max(1)).map(|_| VecDeque::new()).collect()),
                    })
                })
                .collect(),
        )
    }

    /// How many messages are held in `partition`.
    pub(super) fn len_partition(&self, partition: usize) -> usize {
        self.0
            .get(partition)
            .map_or(0, |held| held.pending.load(Ordering::SeqCst))
    }

    /// How many messages are held in `partition` at `level`.
    pub(super) fn len_at(&self, partition: usize, level: usize) -> usize {
        match self.0.get(partition) {
            Some(held) if held.pending.load(Ordering::SeqCst) > 0 => {
                held.levels.lock().get(level).map_or(0, VecDeque::len)
            }
            _ => 0,
        }
    }
}

impl<M> std::ops::Deref for HeldLanes<M> {
    type Target = [CachePadded<Held<M>>];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

pub(crate) struct Owed<M> {
    partitions: HeldLanes<M>,
}

impl<M> Owed<M> {
    pub(crate) fn new(partitions: usize, levels: usize) -> Self {
        Owed {
            partitions: HeldLanes::new(partitions, levels),
        }
    }

    /// Holds a recovered message its lane refused as full (at `open`, before the queue is
    /// shared).
    pub(crate) fn hold(&self, partition: usize, level: usize, recorded: Recorded<M>) {
        let held = &self.partitions[partition];
        let mut levels = held.levels.lock();
        let last = levels.len() - 1;
        levels[level.min(last)].push_back(recorded);
        held.pending.fetch_add(1, Ordering::Release);
    }

    /// How many messages are held, in every partition.
    pub(crate) fn len(&self) -> usize {
        self.partitions
            .iter()
            .map(|held| held.pending.load(Ordering::Acquire))
            .sum()
    }

    /// How many messages are held in `partition`.
    pub(crate) fn len_partition(&self, partition: usize) -> usize {
        self.partitions.len_partition(partition)
    }

    /// How many messages are held in `partition` at `level`.
    pub(crate) fn len_at(&self, partition: usize, level: usize) -> usize {
        self.partitions.len_at(partition, level)
    }

    /// Whether a push to `partition` at `level` must be refused: messages owed from before
    /// the restart wait for that lane's room (rule 2).
    #[inline]
    pub(crate) fn blocks(&self, partition: usize, level: usize) -> bool {
        self.len_at(partition, level) > 0
    }

    /// Whether any partition holds messages (one load per partition).
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.partitions
            .iter()
            .any(|held| held.pending.load(Ordering::Acquire) > 0)
    }

    /// Moves the held messages of `partition` into their lanes with `push` while the lanes
    /// take them, oldest first per level (rule 1).
    pub(crate) fn refill(
        &self,
        partition: usize,
        mut push: impl FnMut(Recorded<M>) -> Result<(), PushError<Recorded<M>>>,
    ) {
        let Some(held) = self.partitions.get(partition) else {
            return;
        };
        if held.pending.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut levels = held.levels.lock();
        for level in levels.iter_mut() {
            while let Some(recorded) = level.pop_front() {
                match push(recorded) {
                    Ok(()) => {
                        // After the push: a push that reads 0 finds the message in the lane.
                        held.pending.fetch_sub(1, Ordering::Release);
                    }
                    Err(refused) => {
                        level.push_front(refused.into_inner());
                        break;
                    }
                }
            }
        }
    }

    /// Refills every partition that holds messages.
    pub(crate) fn refill_all(
        &self,
        mut push: impl FnMut(usize, Recorded<M>) -> Result<(), PushError<Recorded<M>>>,
    ) {
        for partition in 0..self.partitions.len() {
            self.refill(partition, |recorded| push(partition, recorded));
        }
    }
}
