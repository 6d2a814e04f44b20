//! `PriorityLevels`: one engine per priority level, popped highest level first.
//!
//! No counter is shared between the levels on the push path: a push goes to its level's
//! engine and nowhere else, so producers of different levels never touch the same cache
//! line. A pop looks at the levels from the highest down; an empty level costs one failed
//! pop of its engine.

use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::config::{Config, Fairness};
use crate::engine::{push_each, Refusals};
use crate::engine::{Engine, Hooks, Room};
use crate::error::{Error, PopError, PushError};
use crate::layer::Lane;
use crate::message::Prioritized;
use crate::stats::Stats;
use crate::sync::{AtomicU64, Ordering};
use crate::wait::{pop_waiting, WaitQueue};

/// The most priority levels a queue may have.
pub(crate) const MAX_LEVELS: usize = 1 << 16;

/// The longest run `Fairness::Fair` may allow (its counters are 16 bits wide).
pub(crate) const MAX_CONSECUTIVE: usize = u16::MAX as usize - 1;

/// A lane with one engine `E` per priority level of message `M`.
///
/// Pops take the highest non-empty level ([`Fairness::Strict`]), or with
/// [`Fairness::Fair`] never more than `max_consecutive` in a row from one level while a
/// lower level waits; the waiting lower levels take turns, so none starves. Messages of one
/// level keep FIFO order. A message whose priority is out of range is handed back in
/// [`PushError::InvalidPriority`].
///
/// With one consumer the fairness bound is exact. With several, each pop decides from the
/// run its consumer reads, so concurrent pops can lengthen a run by up to the number of
/// consumers.
///
/// ```
/// use elasticq_runtime::{Config, Engine, Lane, LockedQueue, Message, PriorityLevels, Prioritized};
///
/// #[derive(Debug, PartialEq)]
/// struct Job { urgency: u8, id: u32 }
///
/// impl Message for Job {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = PriorityLevels<Self, E>;
///     const NAME: &'static str = "Job";
/// }
/// impl Prioritized for Job {
///     type Level = u8;
///     const LEVELS: usize = 3;
///     fn priority(&self) -> Option<usize> { Self::level_index(&self.urgency) }
///     fn level_index(level: &u8) -> Option<usize> {
///         (usize::from(*level) < 3).then_some(usize::from(*level))
///     }
/// }
///
/// let jobs: PriorityLevels<Job, LockedQueue<Job>> = PriorityLevels::with_config(Config::new())?;
/// jobs.push(Job { urgency: 0, id: 1 }).unwrap();
/// jobs.push(Job { urgency: 2, id: 2 }).unwrap();
/// assert!(jobs.push(Job { urgency: 9, id: 3 }).is_err()); // out of range: handed back
/// assert_eq!(jobs.pop().map(|job| job.id), Some(2)); // highest level first
/// assert_eq!(jobs.len_level(0), 1);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct PriorityLevels<M, E> {
    levels: Box<[CachePadded<E>]>,
    fairness: Fairness,
    /// Fair mode's memory of the last pops, packed by [`Turn`].
    turn: CachePadded<AtomicU64>,
    /// Refusals this layer counts itself: out-of-range priorities, and the messages a
    /// refused batch hands back after the one the engine refused.
    rejected: Refusals,
    waiters: WaitQueue,
    config: Config,
    _messages: PhantomData<fn(M) -> M>,
}

/// Fair mode's state, packed in one word: the level of the last pop and how many pops in a
/// row came from it, how many pops were made since the last forced turn, and the level that
/// turn served (where the next one continues below). Counts saturate at `u16::MAX`, which
/// is why `max_consecutive` is capped there.
#[derive(Clone, Copy)]
struct Turn {
    last: usize,
    run: usize,
    since: usize,
    floor: usize,
}

const FIELD: u64 = 0xffff;

impl Turn {
    fn unpack(word: u64) -> Self {
        let field = |shift: u32| ((word >> shift) & FIELD) as usize;
        Self {
            last: field(48),
            run: field(32),
            since: field(16),
            floor: field(0),
        }
    }

    fn pack(self) -> u64 {
        let field = |value: usize| (value as u64).min(FIELD);
        (field(self.last) << 48)
            | (field(self.run) << 32)
            | (field(self.since) << 16)
            | field(self.floor)
    }

    /// The state after a pop from `level`; `forced` when it was a forced turn.
    fn after(self, level: usize, forced: bool) -> Self {
        Self {
            last: level,
            run: if level == self.last { self.run + 1 } else { 1 },
            since: if forced { 0 } else { self.since + 1 },
            floor: if forced { level } else { self.floor },
        }
    }
}

impl<M: Prioritized, E: Lane<M>> PriorityLevels<M, E> {
    fn level_for(&self, message: &M) -> Option<usize> {
        message
            .priority()
            .filter(|level| *level < self.levels.len())
    }

    /// Pops between two periodic forced turns: `max_consecutive x levels`, within what the
    /// 16-bit `since` counter can reach.
    fn period(&self, max_consecutive: usize) -> usize {
        max_consecutive
            .saturating_mul(self.levels.len())
            .min(FIELD as usize)
    }

    /// Pushes `value` into its level's engine with `push` (`push` or `push_retry`).
    #[inline]
    fn push_with(
        &self,
        value: M,
        push: impl FnOnce(&E, M) -> Result<(), PushError<M>>,
    ) -> Result<(), PushError<M>> {
        let Some(level) = self.level_for(&value) else {
            return Err(self.reject_invalid(value));
        };
        push(&self.levels[level], value)?;
        self.waiters.notify_one();
        Ok(())
    }

    fn reject_invalid<T>(&self, value: T) -> PushError<T> {
        let refused = PushError::InvalidPriority(value);
        self.rejected.count(&refused, 1);
        refused
    }

    fn pop_strict(&self) -> Option<(usize, M)> {
        self.levels
            .iter()
            .enumerate()
            .rev()
            .find_map(|(level, engine)| engine.pop().map(|value| (level, value)))
    }

    /// Fair mode. A pop is a forced turn, serving a level below the one last popped that has
    /// messages, when the last `max_consecutive` pops all came from one level, or when
    /// `max_consecutive x levels` pops have been made since the last forced turn (so that
    /// levels alternating above a waiting one cannot starve it). Forced turns walk down the
    /// lower levels from below the one the previous turn served, wrapping round, so they take
    /// the waiting levels in turn: a waiting level is served within
    /// `(levels - 1) x (max_consecutive x levels + 1)` pops. No level is looked at twice and
    /// no length is read, so a fair pop costs a strict one plus the failed pops of a forced
    /// turn that finds the lower levels empty.
    fn pop_fair(&self, max_consecutive: usize) -> Option<M> {
        let mut turn = Turn::unpack(self.turn.load(Ordering::Relaxed));
        // Both triggers serve a level below the last one popped: a waiting level is below
        // every level a strict pop takes while it waits, so it is below `last` unless it was
        // the one just served.
        let limit = (turn.run >= max_consecutive || turn.since >= self.period(max_consecutive))
            .then_some(turn.last);
        if let Some(limit) = limit {
            let start = if turn.floor > 0 && turn.floor < limit {
                turn.floor
            } else {
                limit
            };
            for level in (0..start).rev().chain((start..limit).rev()) {
                if let Some(value) = self.levels[level].pop() {
                    self.turn
                        .store(turn.after(level, true).pack(), Ordering::Relaxed);
                    return Some(value);
                }
            }
            // No lower level waits: count the next turn from here.
            turn.since = 0;
        }
        let (level, value) = self.pop_strict()?;
        self.turn
            .store(turn.after(level, false).pack(), Ordering::Relaxed);
        Some(value)
    }
}

impl<M: Prioritized, E: Lane<M>> Engine<M> for PriorityLevels<M, E> {
    fn with_config(config: Config) -> Result<Self, Error> {
        config.validate()?;
        if M::LEVELS == 0 || M::LEVELS > MAX_LEVELS {
            return Err(Error::InvalidConfig {
                field: "levels",
                value: M::LEVELS.to_string(),
                requirement: format!("must be from 1 to {MAX_LEVELS}"),
            });
        }
        if let Fairness::Fair { max_consecutive } = config.get_fairness() {
            if max_consecutive > MAX_CONSECUTIVE {
                return Err(Error::InvalidConfig {
                    field: "max_consecutive",
                    value: max_consecutive.to_string(),
                    requirement: format!("must not exceed {MAX_CONSECUTIVE}"),
                });
            }
        }
        let levels = (0..M::LEVELS)
            .map(|_| E::with_config(config).map(CachePadded::new))
            .collect::<Result<Box<[_]>, _>>()?;
        Ok(Self {
            levels,
            fairness: config.get_fairness(),
            turn: CachePadded::new(AtomicU64::new(0)),
            rejected: Refusals::new(),
            waiters: WaitQueue::new(),
            config,
            _messages: PhantomData,
        })
    }

    #[inline]
    fn push(&self, value: M) -> Result<(), PushError<M>> {
        self.push_with(value, E::push)
    }

    #[inline]
    fn pop(&self) -> Option<M> {
        self.levels[0].pinned(|| match self.fairness {
            Fairness::Strict => self.pop_strict().map(|(_, value)| value),
            Fairness::Fair { max_consecutive } => self.pop_fair(max_consecutive),
        })
    }

    fn push_batch<I: IntoIterator<Item = M>>(&self, items: I) -> Result<(), PushError<Vec<M>>> {
        push_each(items, self.is_closed(), &self.rejected, |value| {
            self.push(value)
        })
    }

    fn pop_batch(&self, max: usize) -> Vec<M> {
        let mut batch = Vec::with_capacity(max.min(1024));
        match self.fairness {
            Fairness::Strict => {
                for engine in self.levels.iter().rev() {
                    if batch.len() == max {
                        break;
                    }
                    batch.extend(engine.pop_batch(max - batch.len()));
                }
            }
            Fairness::Fair { .. } => {
                while batch.len() < max {
                    match self.pop() {
                        Some(value) => batch.push(value),
                        None => break,
                    }
                }
            }
        }
        batch
    }

    fn push_timeout(&self, value: M, timeout: Duration) -> Result<(), PushError<M>> {
        let Some(level) = self.level_for(&value) else {
            return Err(self.reject_invalid(value));
        };
        self.levels[level].push_timeout(value, timeout)?;
        self.waiters.notify_one();
        Ok(())
    }

    fn pop_timeout(&self, timeout: Duration) -> Result<M, PopError> {
        pop_waiting(&self.waiters, timeout, || self.pop(), || self.is_closed())
    }

    fn len(&self) -> usize {
        self.levels.iter().map(|engine| engine.len()).sum()
    }

    fn capacity(&self) -> usize {
        self.levels.iter().map(|engine| engine.capacity()).sum()
    }

    fn clear(&self) {
        for engine in self.levels.iter() {
            engine.clear();
        }
    }

    fn drain(&self) -> Vec<M> {
        let mut all = Vec::new();
        for engine in self.levels.iter().rev() {
            all.extend(engine.drain());
        }
        all
    }

    fn close(&self) {
        for engine in self.levels.iter() {
            engine.close();
        }
        self.waiters.notify_all();
    }

    fn is_closed(&self) -> bool {
        self.levels[0].is_closed()
    }

    fn stats(&self) -> Stats {
        let mut total = Stats {
            levels: Vec::with_capacity(self.levels.len()),
            ..Stats::default()
        };
        for engine in self.levels.iter() {
            let level = engine.stats();
            total.absorb(&level);
            total.levels.push(level);
        }
        self.rejected.add_to(&mut total);
        total
    }
}

impl<M: Prioritized, E: Lane<M>> Lane<M> for PriorityLevels<M, E> {
    fn config(&self) -> &Config {
        &self.config
    }

    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        self.levels[0].pinned(f)
    }

    fn levels(&self) -> usize {
        self.levels.len()
    }

    fn level_names(&self) -> &'static [&'static str] {
        M::LEVEL_NAMES
    }

    fn pop_level(&self, level: usize) -> Option<M> {
        self.levels.get(level)?.pop()
    }

    fn len_level(&self, level: usize) -> usize {
        self.levels.get(level).map_or(0, |engine| engine.len())
    }

    /// The engine of `like`'s level (level 0 for `None`); `None` for a message whose
    /// priority is out of range, which no level would take.
    fn room_for(&self, like: Option<&M>) -> Option<&dyn Room<M>>
    where
        M: Send,
    {
        let level = match like {
            Some(message) => self.level_for(message)?,
            None => 0,
        };
        self.levels[level].room_for(like)
    }

    /// Sets the hooks of every level's engine.
    fn set_hooks(&mut self, hooks: &Hooks<M>) {
        for engine in self.levels.iter_mut() {
            engine.set_hooks(hooks);
        }
    }

    fn follow_time_in_queue(&mut self, record: &crate::engine::TimeInQueue) {
        for engine in self.levels.iter_mut() {
            engine.follow_time_in_queue(record);
        }
    }

    fn push_retry(&self, value: M) -> Result<(), PushError<M>> {
        self.push_with(value, E::push_retry)
    }
}
