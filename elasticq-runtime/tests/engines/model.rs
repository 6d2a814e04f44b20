//! Model-based tests: both engines run random operation sequences side by side with a
//! `VecDeque` model, under random valid configurations.
//!
//! After every operation the engine's results must equal the model's (values, refusals and
//! the values handed back), and the capacity bounds and the `Stats` counters must hold. The
//! checks are written once, generically over [`Engine`], and instantiated per engine.

use std::collections::VecDeque;
use std::time::Duration;

use elasticq_runtime::{
    Config, Engine, Error, LockFreeQueue, LockedQueue, PopError, PushError, MAX_CAPACITY,
};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

type Checked = Result<(), TestCaseError>;

/// How an engine reports its capacity. Both refuse a push only when `len` is at the
/// maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accounting {
    /// `capacity()` is the size of the one ring, and every capacity change is a resize.
    Exact,
    /// `capacity()` is what the chain of rings holds (see the `LockFreeQueue` docs): the open
    /// last ring's size plus what each sealed ring still holds, so it falls without a resize
    /// as consumers drain sealed rings.
    SealedRings,
}

/// An engine under test.
trait Subject: Engine<u32> {
    const ACCOUNTING: Accounting;
}

impl Subject for LockedQueue<u32> {
    const ACCOUNTING: Accounting = Accounting::Exact;
}

impl Subject for LockFreeQueue<u32> {
    const ACCOUNTING: Accounting = Accounting::SealedRings;
}

/// A valid configuration, kept as plain numbers so the model can read them back.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    initial: usize,
    min: usize,
    max: usize,
    growth: f64,
    shrink: f64,
}

impl Sizes {
    fn config(self) -> Config {
        Config::new()
            .initial_capacity(self.initial)
            .min_capacity(self.min)
            .max_capacity(self.max)
            .growth_factor(self.growth)
            .shrink_threshold(self.shrink)
    }
}

/// Small capacities, so that growth to the maximum, `Full` and shrinking all happen within a
/// short sequence.
fn valid_sizes() -> impl Strategy<Value = Sizes> {
    (1..=16usize).prop_flat_map(|initial| {
        (1..=initial, initial..=64usize, 1.5f64..4.0, 0.01f64..0.5).prop_map(
            move |(min, max, growth, shrink)| Sizes {
                initial,
                min,
                max,
                growth,
                shrink,
            },
        )
    })
}

#[derive(Clone, Debug)]
enum Op {
    Push,
    PushTimeout,
    PushBatch(usize),
    Pop,
    PopTimeout,
    PopBatch(usize),
    Clear,
    Drain,
    Close,
    Len,
}

/// Pushes outweigh pops so that sequences reach the maximum, and `Close` is rare so that most
/// of a sequence runs on an open queue. Empty push batches are left to
/// `empty_push_batch_agrees_across_engines`, which pins down how they meet a closed queue.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => Just(Op::Push),
        2 => Just(Op::PushTimeout),
        6 => (1..=8usize).prop_map(Op::PushBatch),
        8 => Just(Op::Pop),
        2 => Just(Op::PopTimeout),
        4 => (0..=8usize).prop_map(Op::PopBatch),
        1 => Just(Op::Clear),
        1 => Just(Op::Drain),
        1 => Just(Op::Close),
        2 => Just(Op::Len),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..100)
}

/// A push outcome with its handed-back values visible: `PushError`'s `Debug` hides them.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pushed {
    Accepted,
    Full(Vec<u32>),
    Closed(Vec<u32>),
}

impl From<Result<(), PushError<Vec<u32>>>> for Pushed {
    fn from(result: Result<(), PushError<Vec<u32>>>) -> Self {
        match result {
            Ok(()) => Pushed::Accepted,
            Err(PushError::Full(rest)) => Pushed::Full(rest),
            Err(PushError::Closed(rest)) => Pushed::Closed(rest),
            Err(other) => panic!("a plain engine never refuses with {other:?}"),
        }
    }
}

/// The rules on how far down the capacity goes, each checked by its own properties so that
/// a bug in one fails those alone while the models keep checking everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Floor {
    /// Only the bounds every run checks: `len <= capacity <= max_capacity`.
    Unchecked,
    /// `capacity >= min_capacity` ("the capacity below which the queue never shrinks").
    MinCapacity,
    /// Shrinking happens as documented: after pops (`LockedQueue`) and after a drain.
    Shrinking,
}

/// An engine and the model it must agree with.
struct Harness<E> {
    queue: E,
    sizes: Sizes,
    model: VecDeque<u32>,
    closed: bool,
    /// Values are numbered in push order, so a misplaced or duplicated value is visible.
    next_value: u32,
    enqueued: u64,
    dequeued: u64,
    rejected: u64,
    /// The last observed capacity and resize count.
    capacity: usize,
    resizes: u64,
    /// Which capacity rules beyond the model's bounds this run checks.
    floor: Floor,
    /// Whether the last call asked for more messages than the queue held (so it found the
    /// queue empty): the lock-free engine has then retired its drained rings.
    found_empty: bool,
}

impl<E: Subject> Harness<E> {
    fn new(sizes: Sizes, floor: Floor) -> Result<Self, TestCaseError> {
        let queue = E::with_config(sizes.config())
            .map_err(|err| TestCaseError::fail(format!("valid {sizes:?} rejected: {err}")))?;
        prop_assert_eq!(
            queue.capacity(),
            sizes.initial,
            "a new queue has initial_capacity"
        );
        let harness = Self {
            queue,
            sizes,
            model: VecDeque::new(),
            closed: false,
            next_value: 0,
            enqueued: 0,
            dequeued: 0,
            rejected: 0,
            capacity: sizes.initial,
            resizes: 0,
            floor,
            found_empty: true,
        };
        harness.check_state()?;
        Ok(harness)
    }

    fn fresh_values(&mut self, n: usize) -> Vec<u32> {
        let start = self.next_value;
        self.next_value += u32::try_from(n).expect("small batches");
        (start..self.next_value).collect()
    }

    fn apply(&mut self, op: &Op) -> Checked {
        self.found_empty = match *op {
            Op::Pop | Op::PopTimeout => self.model.is_empty(),
            Op::PopBatch(max) => self.model.len() < max,
            Op::Clear | Op::Drain => true,
            _ => false,
        };
        match *op {
            Op::Push => {
                let value = self.fresh_values(1)[0];
                let result = self.queue.push(value).map_err(|err| err.map(|v| vec![v]));
                self.settle_push(vec![value], result.into())?;
            }
            Op::PushTimeout => {
                // A zero timeout takes the waiting path without slowing the test down.
                let value = self.fresh_values(1)[0];
                let result = self
                    .queue
                    .push_timeout(value, Duration::ZERO)
                    .map_err(|err| err.map(|v| vec![v]));
                self.settle_push(vec![value], result.into())?;
            }
            Op::PushBatch(n) => {
                let values = self.fresh_values(n);
                let result = self.queue.push_batch(values.clone());
                self.settle_push(values, result.into())?;
            }
            Op::Pop => {
                let expected = self.take(1).pop();
                prop_assert_eq!(self.queue.pop(), expected);
                self.check_shrunk_after_pop(expected.is_some())?;
            }
            Op::PopTimeout => {
                let expected = match self.take(1).pop() {
                    Some(value) => Ok(value),
                    None if self.closed => Err(PopError::Closed),
                    None => Err(PopError::Timeout),
                };
                prop_assert_eq!(self.queue.pop_timeout(Duration::ZERO), expected);
                self.check_shrunk_after_pop(expected.is_ok())?;
            }
            Op::PopBatch(max) => {
                let expected = self.take(max);
                prop_assert_eq!(self.queue.pop_batch(max), expected.clone());
                self.check_shrunk_after_pop(!expected.is_empty())?;
            }
            Op::Clear => {
                self.queue.clear();
                self.take(usize::MAX);
                self.check_shrunk_after_drain()?;
            }
            Op::Drain => {
                let expected = self.take(usize::MAX);
                prop_assert_eq!(self.queue.drain(), expected);
                self.check_shrunk_after_drain()?;
            }
            Op::Close => {
                self.queue.close();
                self.closed = true;
            }
            Op::Len => {
                prop_assert_eq!(self.queue.len(), self.model.len());
                prop_assert_eq!(self.queue.is_empty(), self.model.is_empty());
            }
        }
        self.check_state()
    }

    /// Checks a push of `offered` against the model and applies the accepted prefix.
    fn settle_push(&mut self, offered: Vec<u32>, pushed: Pushed) -> Checked {
        if self.closed {
            self.rejected += offered.len() as u64;
            prop_assert_eq!(pushed, Pushed::Closed(offered));
            return Ok(());
        }
        let handed_back = match pushed {
            Pushed::Accepted => Vec::new(),
            Pushed::Full(rest) => {
                prop_assert!(!rest.is_empty(), "Full must hand back at least one value");
                rest
            }
            Pushed::Closed(rest) => {
                return Err(TestCaseError::fail(format!(
                    "Closed({rest:?}) from a queue that was never closed"
                )))
            }
        };
        prop_assert!(handed_back.len() <= offered.len());
        let accepted = offered.len() - handed_back.len();
        prop_assert_eq!(
            &handed_back[..],
            &offered[accepted..],
            "the values not pushed come back in order"
        );
        prop_assert!(
            self.model.len() + accepted <= self.sizes.max,
            "accepted {} values into a queue of {} with max_capacity {}",
            accepted,
            self.model.len(),
            self.sizes.max
        );
        self.model.extend(&offered[..accepted]);
        self.enqueued += accepted as u64;
        self.rejected += handed_back.len() as u64;
        if !handed_back.is_empty() {
            self.check_refusal_allowed()?;
        }
        Ok(())
    }

    /// An open queue may refuse a push only at its maximum.
    fn check_refusal_allowed(&self) -> Checked {
        let (len, max) = (self.model.len(), self.sizes.max);
        prop_assert_eq!(len, max, "Full with len {} below max_capacity {}", len, max);
        Ok(())
    }

    /// Removes what a pop of up to `max` messages must return from the model.
    fn take(&mut self, max: usize) -> Vec<u32> {
        let n = max.min(self.model.len());
        let taken: Vec<u32> = self.model.drain(..n).collect();
        self.dequeued += n as u64;
        taken
    }

    /// `LockedQueue`: "shrinks when a pop leaves it at or below the shrink threshold (down
    /// to min_capacity)", dividing "until the ratio is exceeded or min_capacity is reached"
    /// (`Config::shrink_threshold`). The lock-free engine only looks every 64 pops.
    fn check_shrunk_after_pop(&self, popped: bool) -> Checked {
        if self.floor != Floor::Shrinking || !popped || E::ACCOUNTING != Accounting::Exact {
            return Ok(());
        }
        let (capacity, len) = (self.queue.capacity(), self.model.len());
        prop_assert!(
            capacity == self.sizes.min || len as f64 > self.sizes.shrink * capacity as f64,
            "after a pop, {} messages in capacity {} are at or below the shrink threshold {} \
             but the queue stayed above min_capacity {}",
            len,
            capacity,
            self.sizes.shrink,
            self.sizes.min
        );
        Ok(())
    }

    /// Both engines shrink back to `min_capacity` once drained (the `LockFreeQueue::capacity`
    /// example, and the divide-until-min rule of `Config::shrink_threshold`).
    fn check_shrunk_after_drain(&self) -> Checked {
        if self.floor == Floor::Shrinking {
            prop_assert_eq!(
                self.queue.capacity(),
                self.sizes.min,
                "a drained queue is back at min_capacity"
            );
        }
        Ok(())
    }

    fn check_state(&self) -> Checked {
        let len = self.model.len();
        prop_assert_eq!(self.queue.len(), len);
        prop_assert_eq!(self.queue.is_empty(), len == 0);
        prop_assert_eq!(self.queue.is_closed(), self.closed);
        let capacity = self.queue.capacity();
        prop_assert!(
            len <= capacity && capacity <= self.sizes.max,
            "need len {} <= capacity {} <= max_capacity {}",
            len,
            capacity,
            self.sizes.max
        );
        // The lock-free engine's capacity counts what its sealed rings still hold, which falls
        // below the minimum as they drain (that is not a shrink): its floor holds once they
        // are retired, which a call that finds the queue empty does.
        let floor_applies = E::ACCOUNTING == Accounting::Exact || self.found_empty;
        if self.floor == Floor::MinCapacity && floor_applies {
            prop_assert!(
                capacity >= self.sizes.min,
                "capacity {} is below min_capacity {}, below which the queue never shrinks",
                capacity,
                self.sizes.min
            );
        }
        let stats = self.queue.stats();
        prop_assert_eq!(
            (stats.enqueued, stats.dequeued, stats.rejected),
            (self.enqueued, self.dequeued, self.rejected),
            "(enqueued, dequeued, rejected); clear and drain count as dequeued"
        );
        prop_assert_eq!((stats.len, stats.capacity), (len, capacity));
        prop_assert_eq!(stats.enqueued, stats.dequeued + len as u64);
        prop_assert!(stats.resizes >= self.resizes, "resizes went down");
        Ok(())
    }

    /// Resizes are counted: any growth of the capacity is one, and with exact accounting so
    /// is every change.
    fn check_resizes(&mut self) -> Checked {
        let (capacity, resizes) = (self.queue.capacity(), self.queue.stats().resizes);
        let changed = match E::ACCOUNTING {
            Accounting::Exact => capacity != self.capacity,
            Accounting::SealedRings => capacity > self.capacity,
        };
        if changed {
            prop_assert!(
                resizes > self.resizes,
                "capacity went from {} to {} without a resize",
                self.capacity,
                capacity
            );
        }
        self.capacity = capacity;
        self.resizes = resizes;
        Ok(())
    }
}

fn run_model<E: Subject>(sizes: Sizes, ops: &[Op], floor: Floor) -> Checked {
    let mut harness = Harness::<E>::new(sizes, floor)?;
    for op in ops {
        harness.apply(op)?;
        harness.check_resizes()?;
    }
    Ok(())
}

/// A configuration breaking exactly one rule, the field the error must name, and the value
/// it must quote.
fn invalid_config() -> impl Strategy<Value = (Config, &'static str, String)> {
    let bad_growth = prop_oneof![
        -10.0f64..=1.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ];
    let bad_shrink = prop_oneof![
        -1.0f64..=0.0,
        1.0f64..10.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
    ];
    let broken = prop_oneof![
        Just(Broken::MaxZero),
        (MAX_CAPACITY + 1..=usize::MAX).prop_map(Broken::MaxTooLarge),
        Just(Broken::MinZero),
        (1..=100usize).prop_map(Broken::MinAboveMax),
        (1..=100usize).prop_map(Broken::InitialAboveMax),
        Just(Broken::MinAboveInitial),
        bad_growth.prop_map(Broken::Growth),
        bad_shrink.prop_map(Broken::Shrink),
    ];
    (valid_sizes(), broken).prop_map(|(sizes, broken)| broken.apply(sizes))
}

#[derive(Clone, Debug)]
enum Broken {
    MaxZero,
    MaxTooLarge(usize),
    MinZero,
    /// By how much.
    MinAboveMax(usize),
    InitialAboveMax(usize),
    MinAboveInitial,
    Growth(f64),
    Shrink(f64),
}

impl Broken {
    fn apply(self, sizes: Sizes) -> (Config, &'static str, String) {
        let config = sizes.config();
        match self {
            Broken::MaxZero => (config.max_capacity(0), "max_capacity", "0".into()),
            Broken::MaxTooLarge(max) => (config.max_capacity(max), "max_capacity", max.to_string()),
            Broken::MinZero => (config.min_capacity(0), "min_capacity", "0".into()),
            Broken::MinAboveMax(by) => {
                let min = sizes.max + by;
                (config.min_capacity(min), "min_capacity", min.to_string())
            }
            Broken::InitialAboveMax(by) => {
                let initial = sizes.max + by;
                let config = config.initial_capacity(initial);
                (config, "initial_capacity", initial.to_string())
            }
            Broken::MinAboveInitial => {
                // Keeps min within max so that only the min <= initial rule breaks.
                let (initial, max) = (sizes.min, sizes.max + 1);
                let min = initial + 1;
                let config = config
                    .initial_capacity(initial)
                    .min_capacity(min)
                    .max_capacity(max);
                (config, "min_capacity", min.to_string())
            }
            Broken::Growth(factor) => (
                config.growth_factor(factor),
                "growth_factor",
                factor.to_string(),
            ),
            Broken::Shrink(ratio) => (
                config.shrink_threshold(ratio),
                "shrink_threshold",
                ratio.to_string(),
            ),
        }
    }
}

fn check_rejected<E: Subject>(config: Config, field: &str, value: &str) -> Checked {
    let err = match E::with_config(config) {
        Ok(_) => return Err(TestCaseError::fail(format!("{config:?} was accepted"))),
        Err(err) => err,
    };
    let Error::InvalidConfig {
        field: named,
        value: quoted,
        ..
    } = &err
    else {
        return Err(TestCaseError::fail(format!("unexpected error {err:?}")));
    };
    prop_assert_eq!(*named, field);
    prop_assert_eq!(quoted.as_str(), value);
    prop_assert!(
        err.to_string()
            .starts_with(&format!("invalid {field} = {value}: ")),
        "message: {}",
        err
    );
    prop_assert_eq!(config.validate(), Err(err));
    Ok(())
}

fn proptest_config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        // PROPTEST_CASES still selects a deeper run; 256 keeps the default run to seconds.
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            256
        },
        // A failure is reported with its minimal case; a regressions file would be a new file
        // in the source tree.
        failure_persistence: None,
        ..default
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn locked_queue_matches_model(sizes in valid_sizes(), ops in ops()) {
        run_model::<LockedQueue<u32>>(sizes, &ops, Floor::Unchecked)?;
    }

    #[test]
    fn lock_free_queue_matches_model(sizes in valid_sizes(), ops in ops()) {
        run_model::<LockFreeQueue<u32>>(sizes, &ops, Floor::Unchecked)?;
    }

    #[test]
    fn locked_queue_stays_at_or_above_min_capacity(sizes in valid_sizes(), ops in ops()) {
        run_model::<LockedQueue<u32>>(sizes, &ops, Floor::MinCapacity)?;
    }

    #[test]
    fn lock_free_queue_stays_at_or_above_min_capacity(sizes in valid_sizes(), ops in ops()) {
        run_model::<LockFreeQueue<u32>>(sizes, &ops, Floor::MinCapacity)?;
    }

    #[test]
    fn locked_queue_shrinks_as_documented(sizes in valid_sizes(), ops in ops()) {
        run_model::<LockedQueue<u32>>(sizes, &ops, Floor::Shrinking)?;
    }

    #[test]
    fn lock_free_queue_shrinks_as_documented(sizes in valid_sizes(), ops in ops()) {
        run_model::<LockFreeQueue<u32>>(sizes, &ops, Floor::Shrinking)?;
    }

    #[test]
    fn invalid_configs_are_rejected_naming_the_field(
        (config, field, value) in invalid_config()
    ) {
        check_rejected::<LockedQueue<u32>>(config, field, &value)?;
        check_rejected::<LockFreeQueue<u32>>(config, field, &value)?;
    }
}

/// What each engine answers to an empty push batch, before and after `close`.
fn empty_batch_answers<E: Subject>() -> (Pushed, Pushed) {
    let queue = E::with_config(Config::new()).expect("default config");
    let open = queue.push_batch(Vec::new()).into();
    queue.close();
    (open, queue.push_batch(Vec::new()).into())
}

/// Code written against `Engine` must not depend on which engine it gets.
#[test]
fn empty_push_batch_agrees_across_engines() {
    let locked = empty_batch_answers::<LockedQueue<u32>>();
    let lock_free = empty_batch_answers::<LockFreeQueue<u32>>();
    assert_eq!(locked.0, Pushed::Accepted, "LockedQueue, open");
    assert_eq!(lock_free.0, Pushed::Accepted, "LockFreeQueue, open");
    assert_eq!(
        locked.1, lock_free.1,
        "empty batch after close: LockedQueue vs LockFreeQueue"
    );
}
