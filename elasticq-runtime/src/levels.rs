//! `PriorityLevels`: one engine per priority level, popped highest level first.
//!
//! No counter is shared between the levels on the push path: a push goes to its level's
//! engine and nowhere else, so producers of different levels never touch the same cache
//! line. A pop looks at the levels from the highest down; an empty level costs one failed
//! pop of its engine.

use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Ordering};
use crate::wait::{pop_waiting, WaitQueue};
use crate::{Config, Engine, Error, Fairness, Lane, PopError, Prioritized, PushError, Stats};

/// The most priority levels a queue may have.
pub(crate) const MAX_LEVELS: usize = 1 << 16;

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
    invalid: AtomicU64,
    waiters: WaitQueue,
    config: Config,
    _messages: PhantomData<fn(M) -> M>,
}

/// Fair mode's state: the level of the last pop, how many pops in a row came from it, and
/// the level a forced turn last went to (where the next forced turn continues below).
#[derive(Clone, Copy)]
struct Turn {
    last: usize,
    run: usize,
    floor: usize,
}

impl Turn {
    fn unpack(word: u64) -> Self {
        Self {
            last: (word >> 48) as usize,
            floor: ((word >> 32) & 0xffff) as usize,
            run: (word & 0xffff_ffff) as usize,
        }
    }

    fn pack(self) -> u64 {
        ((self.last as u64) << 48)
            | ((self.floor as u64) << 32)
            | (self.run.min(u32::MAX as usize) as u64)
    }
}

impl<M: Prioritized, E: Engine<M>> PriorityLevels<M, E> {
    fn level_for(&self, message: &M) -> Option<usize> {
        message
            .priority()
            .filter(|level| *level < self.levels.len())
    }

    fn reject_invalid<T>(&self, value: T) -> PushError<T> {
        self.invalid.fetch_add(1, Ordering::Relaxed);
        PushError::InvalidPriority(value)
    }

    fn pop_strict(&self) -> Option<(usize, M)> {
        self.levels
            .iter()
            .enumerate()
            .rev()
            .find_map(|(level, engine)| engine.pop().map(|value| (level, value)))
    }

    fn pop_fair(&self, max_consecutive: usize) -> Option<M> {
        let turn = Turn::unpack(self.turn.load(Ordering::Relaxed));
        if turn.run >= max_consecutive && turn.last > 0 {
            // The run is used up: serve a waiting lower level, continuing below the level
            // the previous forced turn went to, then wrapping round to just below `last`.
            let start = if turn.floor > 0 && turn.floor < turn.last {
                turn.floor
            } else {
                turn.last
            };
            let below = (0..start).rev().chain((start..turn.last).rev());
            for level in below {
                if let Some(value) = self.levels[level].pop() {
                    let next = Turn {
                        last: level,
                        run: 1,
                        floor: level,
                    };
                    self.turn.store(next.pack(), Ordering::Relaxed);
                    return Some(value);
                }
            }
        }
        let (level, value) = self.pop_strict()?;
        let run = if level == turn.last { turn.run + 1 } else { 1 };
        let next = Turn {
            last: level,
            run,
            floor: turn.floor,
        };
        self.turn.store(next.pack(), Ordering::Relaxed);
        Some(value)
    }
}

impl<M: Prioritized, E: Engine<M>> Engine<M> for PriorityLevels<M, E> {
    fn with_config(config: Config) -> Result<Self, Error> {
        config.validate()?;
        if M::LEVELS == 0 || M::LEVELS > MAX_LEVELS {
            return Err(Error::InvalidConfig {
                field: "levels",
                value: M::LEVELS.to_string(),
                requirement: format!("must be from 1 to {MAX_LEVELS}"),
            });
        }
        let levels = (0..M::LEVELS)
            .map(|_| E::with_config(config).map(CachePadded::new))
            .collect::<Result<Box<[_]>, _>>()?;
        Ok(Self {
            levels,
            fairness: config.get_fairness(),
            turn: CachePadded::new(AtomicU64::new(0)),
            invalid: AtomicU64::new(0),
            waiters: WaitQueue::new(),
            config,
            _messages: PhantomData,
        })
    }

    #[inline]
    fn push(&self, value: M) -> Result<(), PushError<M>> {
        let Some(level) = self.level_for(&value) else {
            return Err(self.reject_invalid(value));
        };
        self.levels[level].push(value)?;
        self.waiters.notify_one();
        Ok(())
    }

    #[inline]
    fn pop(&self) -> Option<M> {
        match self.fairness {
            Fairness::Strict => self.pop_strict().map(|(_, value)| value),
            Fairness::Fair { max_consecutive } => self.pop_fair(max_consecutive),
        }
    }

    fn push_batch<I: IntoIterator<Item = M>>(&self, items: I) -> Result<(), PushError<Vec<M>>> {
        let mut items = items.into_iter();
        if self.is_closed() {
            return Err(PushError::Closed(items.collect()));
        }
        while let Some(value) = items.next() {
            if let Err(error) = self.push(value) {
                return Err(error.map(|value| std::iter::once(value).chain(items).collect()));
            }
        }
        Ok(())
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
        total.rejected += self.invalid.load(Ordering::Relaxed);
        total
    }
}

impl<M: Prioritized, E: Engine<M>> Lane<M> for PriorityLevels<M, E> {
    fn config(&self) -> &Config {
        &self.config
    }

    fn levels(&self) -> usize {
        self.levels.len()
    }

    fn pop_level(&self, level: usize) -> Option<M> {
        self.levels.get(level)?.pop()
    }

    fn len_level(&self, level: usize) -> usize {
        self.levels.get(level).map_or(0, |engine| engine.len())
    }
}
