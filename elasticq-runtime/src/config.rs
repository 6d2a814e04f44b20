//! Queue sizing: the capacities and growth rules every engine is built from.
//!
//! At the crate root because every folder reads it: engines and layers are built from a
//! [`Config`], the persistence layer records its partition count, and the derive's checks
//! (`elasticq-macros`) validate declared values with the same rules.

use crate::error::Error;

/// The largest capacity a queue may be configured with (2^40 slots).
///
/// The lock-free engine packs a slot index, a lap count and a seal bit into one machine word;
/// this bound leaves room for all three.
///
/// ```
/// assert!(elasticq_runtime::MAX_CAPACITY >= 1 << 40);
/// ```
pub const MAX_CAPACITY: usize = 1 << 40;

/// The most partitions a queue may be split into.
///
/// ```
/// assert_eq!(elasticq_runtime::MAX_PARTITIONS, 4096);
/// ```
pub const MAX_PARTITIONS: usize = 4096;

const DEFAULT_INITIAL: usize = 1024;
const DEFAULT_MIN: usize = 256;

/// How a queue is sized: where it starts, how far it may grow and shrink, and how fast.
///
/// Build one with the setters, then hand it to an engine's `new`; every value is checked there
/// and a bad one comes back as [`Error::InvalidConfig`] naming the field, never as a panic.
///
/// | field | default | rule |
/// |---|---|---|
/// | `initial_capacity` | 1024, lowered to `max_capacity` and raised to `min_capacity` when those are set | `min_capacity <= initial_capacity <= max_capacity` |
/// | `min_capacity` | 256, lowered to `initial_capacity` | at least 1 |
/// | `max_capacity` | 1,048,576 | at least 1, at most [`MAX_CAPACITY`] |
/// | `growth_factor` | 2.0 | finite, greater than 1 |
/// | `shrink_threshold` | 0.25 | strictly between 0 and 1 |
/// | `partitions` | 1 (or the available parallelism with [`auto_partitions`](Config::auto_partitions)) | from 1 to [`MAX_PARTITIONS`] |
/// | `fairness` | [`Fairness::Strict`] | `max_consecutive` at least 1 |
/// | `overflow` | [`Overflow::Reject`] | |
/// | `max_bytes` | none (no byte bound) | at least 1 |
///
/// The capacities apply to each lane of a layered queue: every partition, and every priority
/// level within it, grows and shrinks on its own between `min_capacity` and `max_capacity`.
/// Engines ignore `partitions` and `fairness`, which the partition and priority layers read.
///
/// ```
/// use elasticq_runtime::Config;
///
/// let config = Config::new()
///     .initial_capacity(64)
///     .min_capacity(16)
///     .max_capacity(4096)
///     .growth_factor(1.5)
///     .shrink_threshold(0.2);
/// assert!(config.validate().is_ok());
///
/// // Defaults follow the values you set: a small maximum lowers the initial capacity too.
/// assert_eq!(Config::new().max_capacity(100).get_initial_capacity(), 100);
///
/// let bad = Config::new().initial_capacity(10_000).max_capacity(100);
/// assert_eq!(
///     bad.validate().unwrap_err().to_string(),
///     "invalid initial_capacity = 10000: must not exceed max_capacity (100)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    initial_capacity: Option<usize>,
    min_capacity: Option<usize>,
    max_capacity: usize,
    growth_factor: f64,
    shrink_threshold: f64,
    partitions: Partitions,
    fairness: Fairness,
    overflow: Overflow,
    max_bytes: Option<usize>,
}

/// What a push into a lane that is full at its maximum (of messages, or of bytes with
/// [`max_bytes`](Config::max_bytes)) does.
///
/// ```
/// use elasticq_runtime::{Config, LockedQueue, Overflow};
///
/// let ring = LockedQueue::new(Config::new().initial_capacity(2).max_capacity(2).overflow(Overflow::DropOldest))?;
/// ring.push_batch([1, 2, 3]).unwrap(); // the third push evicts the first
/// assert_eq!(ring.drain(), vec![2, 3]);
/// assert_eq!(ring.stats().dropped, 1);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overflow {
    /// The push is refused with `PushError::Full`, handing the message back.
    #[default]
    Reject,
    /// The lane's oldest message is evicted to take the new one, as a ring buffer does; the
    /// evicted message is counted in [`Stats::dropped`](crate::Stats::dropped) and handed to
    /// the queue's eviction hook, if it has one.
    DropOldest,
}

/// How many partitions a queue is split into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Partitions {
    Count(usize),
    /// The available parallelism, resolved when the queue is built.
    Auto,
}

/// How a queue with priority levels chooses the level to pop from.
///
/// ```
/// use elasticq_runtime::{Config, Fairness};
///
/// let config = Config::new().fairness(Fairness::Fair { max_consecutive: 5 });
/// assert_eq!(config.get_fairness(), Fairness::Fair { max_consecutive: 5 });
/// assert_eq!(Config::new().get_fairness(), Fairness::Strict);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Fairness {
    /// Always the highest non-empty level: lower levels wait while a higher one has messages.
    #[default]
    Strict,
    /// Highest level first, but never more than `max_consecutive` pops in a row from one level
    /// while a lower level has messages; the waiting levels take turns, so none starves.
    Fair {
        /// The longest run of pops from one level while a lower level waits (at least 1).
        max_consecutive: usize,
    },
}

impl Default for Config {
    fn default() -> Self {
        Self {
            initial_capacity: None,
            min_capacity: None,
            max_capacity: 1 << 20,
            growth_factor: 2.0,
            shrink_threshold: 0.25,
            partitions: Partitions::Count(1),
            fairness: Fairness::Strict,
            overflow: Overflow::Reject,
            max_bytes: None,
        }
    }
}

impl Config {
    /// The default configuration (see the table on [`Config`]).
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new();
    /// assert_eq!(config.get_initial_capacity(), 1024);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how many messages the queue holds before its first growth.
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().initial_capacity(512);
    /// assert_eq!(config.get_initial_capacity(), 512);
    /// ```
    #[must_use]
    pub fn initial_capacity(mut self, n: usize) -> Self {
        self.initial_capacity = Some(n);
        self
    }

    /// Sets the capacity below which the queue never shrinks.
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().min_capacity(64);
    /// assert_eq!(config.get_min_capacity(), 64);
    /// ```
    #[must_use]
    pub fn min_capacity(mut self, n: usize) -> Self {
        self.min_capacity = Some(n);
        self
    }

    /// Sets the capacity beyond which the queue never grows; a push into a queue at this
    /// capacity with no room fails with `PushError::Full`.
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().max_capacity(1 << 16);
    /// assert_eq!(config.get_max_capacity(), 65536);
    /// ```
    #[must_use]
    pub fn max_capacity(mut self, n: usize) -> Self {
        self.max_capacity = n;
        self
    }

    /// Sets the factor the capacity is multiplied by when the queue is full.
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().growth_factor(1.5);
    /// assert_eq!(config.get_growth_factor(), 1.5);
    /// ```
    #[must_use]
    pub fn growth_factor(mut self, factor: f64) -> Self {
        self.growth_factor = factor;
        self
    }

    /// Sets the fill ratio at or below which the queue shrinks (divides its capacity by the
    /// growth factor until the ratio is exceeded or `min_capacity` is reached).
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().shrink_threshold(0.1);
    /// assert_eq!(config.get_shrink_threshold(), 0.1);
    /// ```
    #[must_use]
    pub fn shrink_threshold(mut self, ratio: f64) -> Self {
        self.shrink_threshold = ratio;
        self
    }

    /// Sets how many partitions the queue is split into (each with its own lanes, filled by
    /// partition key or round robin).
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().partitions(4).get_partitions(), 4);
    /// ```
    #[must_use]
    pub fn partitions(mut self, n: usize) -> Self {
        self.partitions = Partitions::Count(n);
        self
    }

    /// Sets one partition per unit of available parallelism (as
    /// [`std::thread::available_parallelism`] reports it; 1 if it cannot tell).
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().auto_partitions();
    /// assert!(config.get_partitions() >= 1);
    /// ```
    #[must_use]
    pub fn auto_partitions(mut self) -> Self {
        self.partitions = Partitions::Auto;
        self
    }

    /// Sets how a queue with priority levels picks the level to pop from.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Fairness};
    /// let config = Config::new().fairness(Fairness::Fair { max_consecutive: 3 });
    /// assert!(config.validate().is_ok());
    /// ```
    #[must_use]
    pub fn fairness(mut self, fairness: Fairness) -> Self {
        self.fairness = fairness;
        self
    }

    /// Whether the partitions are `auto` (resolved when the queue is built).
    // Only the persistence layer asks.
    #[cfg_attr(not(feature = "persist"), allow(dead_code))]
    pub(crate) fn partitions_are_auto(&self) -> bool {
        self.partitions == Partitions::Auto
    }

    /// Sets what a push into a lane full at its maximum does (see [`Overflow`]).
    ///
    /// ```
    /// use elasticq_runtime::{Config, Overflow};
    /// let config = Config::new().overflow(Overflow::DropOldest);
    /// assert_eq!(config.get_overflow(), Overflow::DropOldest);
    /// ```
    #[must_use]
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Bounds each lane by the summed weight of its messages as well as by their number: a
    /// push that would take a lane past `n` is `PushError::Full` (or evicts, under
    /// [`Overflow::DropOldest`]). The weight of a message comes from the queue's weight
    /// function (`weight = Self::method` on the derive, or the encoded length for a
    /// persisted queue); an engine without one weighs every message 0.
    ///
    /// ```
    /// let config = elasticq_runtime::Config::new().max_bytes(1 << 20);
    /// assert_eq!(config.get_max_bytes(), Some(1 << 20));
    /// ```
    #[must_use]
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = Some(n);
        self
    }

    /// What a push into a full lane does.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Overflow};
    /// assert_eq!(Config::new().get_overflow(), Overflow::Reject);
    /// ```
    pub fn get_overflow(&self) -> Overflow {
        self.overflow
    }

    /// The byte bound of each lane, if there is one.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_max_bytes(), None);
    /// ```
    pub fn get_max_bytes(&self) -> Option<usize> {
        self.max_bytes
    }

    /// The configured number of partitions, with `auto` resolved.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_partitions(), 1);
    /// ```
    pub fn get_partitions(&self) -> usize {
        match self.partitions {
            Partitions::Count(n) => n,
            Partitions::Auto => std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_PARTITIONS),
        }
    }

    /// The configured fairness.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Fairness};
    /// assert_eq!(Config::new().get_fairness(), Fairness::Strict);
    /// ```
    pub fn get_fairness(&self) -> Fairness {
        self.fairness
    }

    /// The configured initial capacity.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_initial_capacity(), 1024);
    /// ```
    pub fn get_initial_capacity(&self) -> usize {
        self.initial_capacity.unwrap_or_else(|| {
            DEFAULT_INITIAL
                .min(self.max_capacity)
                .max(self.min_capacity.unwrap_or(0))
        })
    }

    /// The configured minimum capacity.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_min_capacity(), 256);
    /// ```
    pub fn get_min_capacity(&self) -> usize {
        self.min_capacity.unwrap_or_else(|| {
            DEFAULT_MIN
                .min(self.get_initial_capacity())
                .min(self.max_capacity)
        })
    }

    /// The configured maximum capacity.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_max_capacity(), 1 << 20);
    /// ```
    pub fn get_max_capacity(&self) -> usize {
        self.max_capacity
    }

    /// The configured growth factor.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_growth_factor(), 2.0);
    /// ```
    pub fn get_growth_factor(&self) -> f64 {
        self.growth_factor
    }

    /// The configured shrink threshold.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Config::new().get_shrink_threshold(), 0.25);
    /// ```
    pub fn get_shrink_threshold(&self) -> f64 {
        self.shrink_threshold
    }

    /// Checks every rule in the table on [`Config`]; the first broken one is returned.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Error};
    ///
    /// let err = Config::new().growth_factor(1.0).validate().unwrap_err();
    /// assert!(matches!(err, Error::InvalidConfig { field: "growth_factor", .. }));
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |field: &'static str, value: String, requirement: String| {
            Err(Error::InvalidConfig {
                field,
                value,
                requirement,
            })
        };
        if self.max_capacity == 0 {
            return invalid("max_capacity", "0".into(), "must be at least 1".into());
        }
        if self.max_capacity > MAX_CAPACITY {
            return invalid(
                "max_capacity",
                self.max_capacity.to_string(),
                format!("must not exceed {MAX_CAPACITY}"),
            );
        }
        let (initial, min) = (self.get_initial_capacity(), self.get_min_capacity());
        if min == 0 {
            return invalid("min_capacity", "0".into(), "must be at least 1".into());
        }
        if min > self.max_capacity {
            return invalid(
                "min_capacity",
                min.to_string(),
                format!("must not exceed max_capacity ({})", self.max_capacity),
            );
        }
        if initial > self.max_capacity {
            return invalid(
                "initial_capacity",
                initial.to_string(),
                format!("must not exceed max_capacity ({})", self.max_capacity),
            );
        }
        if min > initial {
            return invalid(
                "min_capacity",
                min.to_string(),
                format!("must not exceed initial_capacity ({initial})"),
            );
        }
        // `!(x > 1.0)` rather than `x <= 1.0` so that NaN is rejected too.
        if !(self.growth_factor.is_finite() && self.growth_factor > 1.0) {
            return invalid(
                "growth_factor",
                self.growth_factor.to_string(),
                "must be a finite number greater than 1".into(),
            );
        }
        if !(self.shrink_threshold > 0.0 && self.shrink_threshold < 1.0) {
            return invalid(
                "shrink_threshold",
                self.shrink_threshold.to_string(),
                "must be strictly between 0 and 1".into(),
            );
        }
        let partitions = self.get_partitions();
        if partitions == 0 || partitions > MAX_PARTITIONS {
            return invalid(
                "partitions",
                partitions.to_string(),
                format!("must be from 1 to {MAX_PARTITIONS}"),
            );
        }
        if self.max_bytes == Some(0) {
            return invalid("max_bytes", "0".into(), "must be at least 1".into());
        }
        if let Fairness::Fair { max_consecutive: 0 } = self.fairness {
            return invalid(
                "max_consecutive",
                "0".into(),
                "must be at least 1: a fair queue pops at least once from a level before \
                 turning to a lower one"
                    .into(),
            );
        }
        Ok(())
    }

    /// This configuration with every derived default made explicit, so the engines' hot
    /// paths read plain values.
    pub(crate) fn resolved(self) -> Self {
        Self {
            initial_capacity: Some(self.get_initial_capacity()),
            min_capacity: Some(self.get_min_capacity()),
            partitions: Partitions::Count(self.get_partitions()),
            ..self
        }
    }

    /// The capacity after one growth step from `capacity`, before any clamping to the maximum.
    pub(crate) fn grown(&self, capacity: usize) -> usize {
        let grown = (capacity as f64 * self.growth_factor).ceil() as usize;
        grown.max(capacity + 1)
    }

    /// The capacity a queue holding `len` messages shrinks to from `capacity`: divide by the
    /// growth factor while the result stays at or above `min_capacity` and `len` would still
    /// be at or below the shrink threshold of it.
    pub(crate) fn shrunk(&self, capacity: usize, len: usize) -> usize {
        let mut target = capacity;
        while self.should_shrink(target, len) {
            // With a factor near 1, dividing a small capacity and rounding up gives it back
            // unchanged: step down by at least one slot.
            let smaller = ((target as f64 / self.growth_factor).ceil() as usize)
                .min(target - 1)
                .max(self.get_min_capacity())
                .max(len);
            if smaller >= target {
                break;
            }
            target = smaller;
        }
        target
    }

    /// Whether a queue of `capacity` holding `len` messages is sparse enough to shrink.
    pub(crate) fn should_shrink(&self, capacity: usize, len: usize) -> bool {
        capacity > self.get_min_capacity()
            && (len as f64) <= self.shrink_threshold * capacity as f64
    }
}
