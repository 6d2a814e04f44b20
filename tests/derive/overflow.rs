//! `overflow = drop_oldest`, `capacity(max_bytes = N)` and `weight = Self::weight` on the
//! generated queues, against a plain model (a `VecDeque` per lane: every partition, and
//! every priority level in it):
//!
//! - a telemetry ring buffer on every composition (both engines, priorities, partitions,
//!   labelled with `metrics = "..."`): eviction order per lane, `stats().dropped` (per lane
//!   too), conservation `enqueued == dequeued + dropped + len`, and `on_evict` receiving
//!   exactly the evicted messages;
//! - byte bounds with random weights (proptest), under both policies: `stats().bytes` is the
//!   summed weight of the queued messages, and a push is `Full` exactly when it would pass
//!   the bound (or, under `drop_oldest`, when the message alone would);
//! - the builder's `overflow`, `max_bytes` and `on_evict` overrides;
//! - several producers and consumers on a `drop_oldest` queue: every message is popped or
//!   evicted exactly once, in order per producer.

use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::thread;

use elasticq::{ElasticQueue, Overflow, PopError, PushError, Stats};
use proptest::prelude::*;

/// The most messages a lane of the rings below holds.
const MAX: usize = 4;

// ---------------------------------------------------------------------------------------
// The rings, one per composition, each on both engines.

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq)]
#[elastic_queue(
    engine = locked,
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct Sample {
    sensor: u32,
    seq: u32,
}

#[elasticq::queue(
    message = Sample,
    engine = lock_free,
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct LockFreeSamples;

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq)]
#[elastic_queue(overflow = drop_oldest, capacity(initial = 2, min = 2, max = 4))]
struct Graded {
    #[elastic_queue(priority(levels = 3))]
    level: u8,
    seq: u32,
}

#[elasticq::queue(
    message = Graded,
    engine = lock_free,
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct LockFreeGraded;

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq)]
#[elastic_queue(
    partitions = 3,
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct Routed {
    #[elastic_queue(partition_key)]
    sensor: u32,
    seq: u32,
}

#[elasticq::queue(
    message = Routed,
    engine = lock_free,
    partitions = 3,
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct LockFreeRouted;

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq)]
#[elastic_queue(
    partitions = 2,
    metrics = "telemetry_ring",
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct Labelled {
    #[elastic_queue(partition_key)]
    sensor: u32,
    #[elastic_queue(priority(levels = 2))]
    level: u8,
    seq: u32,
}

#[elasticq::queue(
    message = Labelled,
    engine = lock_free,
    partitions = 2,
    metrics = "telemetry_ring_lock_free",
    overflow = drop_oldest,
    capacity(initial = 2, min = 2, max = 4)
)]
struct LockFreeLabelled;

/// What the ring tests need of a generated queue and its message.
trait Ring: Send + Sync + 'static {
    type M: Clone + Debug + PartialEq + Send + 'static;
    const PARTITIONS: usize;
    const LEVELS: usize;
    /// The queue, handing what it evicts to `evicted`.
    fn build(evicted: Arc<Mutex<Vec<Self::M>>>) -> Self;
    /// Message number `seq`, on a sensor and level drawn from `draw`.
    fn message(seq: u32, draw: u32) -> Self::M;
    fn push(&self, message: Self::M) -> Result<(), PushError<Self::M>>;
    fn pop(&self) -> Option<Self::M>;
    fn stats(&self) -> Stats;
    fn len(&self) -> usize;
    /// The partition `message` goes to.
    fn partition(&self, message: &Self::M) -> usize;
    fn level(message: &Self::M) -> usize;
    /// The lane `message` goes to, numbered partition by partition.
    fn lane(&self, message: &Self::M) -> usize {
        self.partition(message) * Self::LEVELS + Self::level(message)
    }
}

macro_rules! ring {
    ($($queue:ty),+ => $message:ident, partitions = $partitions:expr, levels = $levels:expr,
     make = |$seq:ident, $draw:ident| $make:expr,
     partition = |$q:ident, $pm:ident| $partition:expr,
     level = |$lm:ident| $level:expr) => {$(
        impl Ring for $queue {
            type M = $message;
            const PARTITIONS: usize = $partitions;
            const LEVELS: usize = $levels;
            fn build(evicted: Arc<Mutex<Vec<$message>>>) -> Self {
                <$queue>::builder()
                    .on_evict(move |message| evicted.lock().unwrap().push(message))
                    .build()
                    .unwrap()
            }
            fn message($seq: u32, $draw: u32) -> $message {
                $make
            }
            fn push(&self, message: $message) -> Result<(), PushError<$message>> {
                <$queue>::push(self, message)
            }
            fn pop(&self) -> Option<$message> {
                <$queue>::pop(self)
            }
            fn stats(&self) -> Stats {
                <$queue>::stats(self)
            }
            fn len(&self) -> usize {
                <$queue>::len(self)
            }
            fn partition(&self, $pm: &$message) -> usize {
                let $q = self;
                let _ = ($q, $pm);
                $partition
            }
            fn level($lm: &$message) -> usize {
                let _ = $lm;
                $level
            }
        }
    )+};
}

ring!(SampleQueue, LockFreeSamples => Sample, partitions = 1, levels = 1,
    make = |seq, draw| Sample { sensor: draw % 5, seq },
    partition = |q, m| 0, level = |m| 0);
ring!(GradedQueue, LockFreeGraded => Graded, partitions = 1, levels = 3,
    make = |seq, draw| Graded { level: (draw % 3) as u8, seq },
    partition = |q, m| 0, level = |m| usize::from(m.level));
ring!(RoutedQueue, LockFreeRouted => Routed, partitions = 3, levels = 1,
    make = |seq, draw| Routed { sensor: draw % 7, seq },
    partition = |q, m| q.partition_of(&m.sensor), level = |m| 0);
ring!(LabelledQueue, LockFreeLabelled => Labelled, partitions = 2, levels = 2,
    make = |seq, draw| Labelled { sensor: draw % 7, level: (draw / 7 % 2) as u8, seq },
    partition = |q, m| q.partition_of(&m.sensor), level = |m| usize::from(m.level));

/// A fixed pseudo-random sequence (xorshift), so that runs repeat.
fn draws(seed: u32) -> impl Iterator<Item = u32> {
    let mut state = seed | 1;
    std::iter::repeat_with(move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    })
}

/// The counters of lane `lane` within `stats`.
fn lane_stats<R: Ring>(stats: &Stats, lane: usize) -> &Stats {
    let (partition, level) = (lane / R::LEVELS, lane % R::LEVELS);
    let partition = if R::PARTITIONS > 1 {
        &stats.partitions[partition]
    } else {
        stats
    };
    if R::LEVELS > 1 {
        &partition.levels[level]
    } else {
        partition
    }
}

/// Pushes `pushes` messages (popping one after every `pop_every`), checking each push and
/// eviction against the model; then drains the queue, checking each lane's order.
fn check_ring<R: Ring>(pushes: u32, pop_every: u32, seed: u32) {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let queue = R::build(Arc::clone(&evicted));
    let lanes = R::PARTITIONS * R::LEVELS;
    let mut model: Vec<VecDeque<R::M>> = vec![VecDeque::new(); lanes];
    let mut model_evicted = Vec::new();
    let mut dropped = vec![0u64; lanes];
    let mut popped = 0u64;
    for (seq, draw) in (0..pushes).zip(draws(seed)) {
        let message = R::message(seq, draw);
        let lane = queue.lane(&message);
        if model[lane].len() == MAX {
            model_evicted.push(model[lane].pop_front().unwrap());
            dropped[lane] += 1;
        }
        model[lane].push_back(message.clone());
        queue
            .push(message)
            .expect("a drop_oldest ring never refuses");
        assert_eq!(*evicted.lock().unwrap(), model_evicted, "after push {seq}");
        if pop_every > 0 && seq % pop_every == pop_every - 1 {
            let taken = queue.pop().expect("the ring holds messages");
            let lane = queue.lane(&taken);
            assert_eq!(
                model[lane].pop_front().as_ref(),
                Some(&taken),
                "pop after {seq}"
            );
            popped += 1;
        }
    }
    let stats = queue.stats();
    let len: usize = model.iter().map(VecDeque::len).sum();
    assert_eq!(stats.dropped, model_evicted.len() as u64);
    assert_eq!(stats.len, len);
    assert_eq!(queue.len(), len);
    assert_eq!(stats.enqueued, u64::from(pushes));
    assert_eq!(stats.dequeued, popped);
    assert_eq!(
        stats.enqueued,
        stats.dequeued + stats.dropped + stats.len as u64
    );
    for (lane, dropped) in dropped.iter().enumerate() {
        let counters = lane_stats::<R>(&stats, lane);
        assert_eq!(counters.dropped, *dropped, "lane {lane}");
        assert_eq!(counters.len, model[lane].len(), "lane {lane}");
    }
    // What is left comes out in order within each lane.
    let mut left: Vec<VecDeque<R::M>> = vec![VecDeque::new(); lanes];
    while let Some(message) = queue.pop() {
        let lane = queue.lane(&message);
        left[lane].push_back(message);
    }
    assert_eq!(left, model);
    let stats = queue.stats();
    assert_eq!(stats.enqueued, stats.dequeued + stats.dropped);
    assert_eq!(*evicted.lock().unwrap(), model_evicted);
}

fn check_every_shape<R: Ring>() {
    check_ring::<R>(1, 0, 1);
    check_ring::<R>(MAX as u32, 0, 2);
    check_ring::<R>(200, 0, 3);
    check_ring::<R>(300, 3, 4);
    check_ring::<R>(300, 1, 5);
}

/// A test of `check` on a locked queue, and one on a lock-free queue.
macro_rules! on_both_engines {
    ($check:ident: $($locked:ident($locked_queue:ty), $lock_free:ident($lock_free_queue:ty);)*) => {
        $(
            #[test]
            fn $locked() {
                $check::<$locked_queue>();
            }

            #[test]
                    fn $lock_free() {
                $check::<$lock_free_queue>();
            }
        )*
    };
}

on_both_engines! {
    check_every_shape:
    ring_buffer_evicts_oldest_per_lane_locked(SampleQueue),
    ring_buffer_evicts_oldest_per_lane_lock_free(LockFreeSamples);
    ring_buffer_evicts_oldest_per_level_locked(GradedQueue),
    ring_buffer_evicts_oldest_per_level_lock_free(LockFreeGraded);
    ring_buffer_evicts_oldest_per_partition_locked(RoutedQueue),
    ring_buffer_evicts_oldest_per_partition_lock_free(LockFreeRouted);
    labelled_ring_buffer_evicts_oldest_per_lane_locked(LabelledQueue),
    labelled_ring_buffer_evicts_oldest_per_lane_lock_free(LockFreeLabelled);
}

#[test]
fn a_ring_without_on_evict_drops_what_it_evicts() {
    let ring = SampleQueue::new().unwrap();
    for seq in 0..10 {
        ring.push(Sample { sensor: 0, seq }).unwrap();
    }
    let left: Vec<u32> = ring.drain().into_iter().map(|s| s.seq).collect();
    assert_eq!(left, [6, 7, 8, 9]);
    assert_eq!(ring.stats().dropped, 6);
}

#[test]
fn a_closed_ring_refuses_and_evicts_nothing() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let ring = SampleQueue::build(Arc::clone(&evicted));
    for seq in 0..4 {
        ring.push(Sample { sensor: 0, seq }).unwrap();
    }
    ring.close();
    let refused = ring.push(Sample { sensor: 0, seq: 4 });
    assert!(matches!(
        refused,
        Err(PushError::Closed(Sample { seq: 4, .. }))
    ));
    assert!(evicted.lock().unwrap().is_empty());
    assert_eq!(ring.stats().dropped, 0);
    assert_eq!(ring.len(), 4);
}

// ---------------------------------------------------------------------------------------
// Byte bounds.

/// A blob weighing `size` bytes, in lane (partition of `key`, `level`).
#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq)]
#[elastic_queue(
    partitions = 2,
    capacity(initial = 2, min = 2, max = 6, max_bytes = 40),
    weight = Self::weight
)]
struct Blob {
    #[elastic_queue(partition_key)]
    key: u8,
    #[elastic_queue(priority(levels = 2))]
    level: u8,
    size: usize,
    id: u32,
}

impl Blob {
    fn weight(&self) -> usize {
        self.size
    }
}

#[elasticq::queue(
    message = Blob,
    engine = lock_free,
    partitions = 2,
    capacity(initial = 2, min = 2, max = 6, max_bytes = 40),
    weight = Blob::weight
)]
struct LockFreeBlobs;

const BLOB_MAX: usize = 6;
const BLOB_BYTES: usize = 40;

#[derive(Clone, Debug)]
enum Op {
    Push { key: u8, level: u8, size: usize },
    PopFrom(usize),
    Pop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, 0u8..2, 0usize..=45).prop_map(|(key, level, size)| Op::Push { key, level, size }),
        2 => (0usize..2).prop_map(Op::PopFrom),
        1 => Just(Op::Pop),
    ]
}

/// What the byte-bound model needs of a blob queue.
trait Blobs {
    fn build(overflow: Overflow, evicted: Arc<Mutex<Vec<Blob>>>) -> Self;
    fn push(&self, blob: Blob) -> Result<(), PushError<Blob>>;
    fn pop(&self) -> Option<Blob>;
    fn pop_from(&self, partition: usize) -> Option<Blob>;
    fn partition_of(&self, key: u8) -> usize;
    fn stats(&self) -> Stats;
}

macro_rules! blobs {
    ($queue:ty) => {
        impl Blobs for $queue {
            fn build(overflow: Overflow, evicted: Arc<Mutex<Vec<Blob>>>) -> Self {
                <$queue>::builder()
                    .overflow(overflow)
                    .on_evict(move |blob| evicted.lock().unwrap().push(blob))
                    .build()
                    .unwrap()
            }
            fn push(&self, blob: Blob) -> Result<(), PushError<Blob>> {
                <$queue>::push(self, blob)
            }
            fn pop(&self) -> Option<Blob> {
                <$queue>::pop(self)
            }
            fn pop_from(&self, partition: usize) -> Option<Blob> {
                <$queue>::pop_from(self, partition)
            }
            fn partition_of(&self, key: u8) -> usize {
                <$queue>::partition_of(self, &key)
            }
            fn stats(&self) -> Stats {
                <$queue>::stats(self)
            }
        }
    };
}

blobs!(BlobQueue);
blobs!(LockFreeBlobs);

/// Runs `ops` against a model of 2 partitions x 2 levels, each lane bounded to `BLOB_MAX`
/// messages and `BLOB_BYTES` bytes.
fn check_bytes<Q: Blobs>(overflow: Overflow, ops: &[Op]) -> Result<(), TestCaseError> {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let queue = Q::build(overflow, Arc::clone(&evicted));
    let mut model: Vec<VecDeque<Blob>> = vec![VecDeque::new(); 4];
    let mut model_evicted = Vec::new();
    let weight = |lane: &VecDeque<Blob>| lane.iter().map(|b| b.size).sum::<usize>();
    for (id, op) in ops.iter().enumerate() {
        match *op {
            Op::Push { key, level, size } => {
                let blob = Blob {
                    key,
                    level,
                    size,
                    id: id as u32,
                };
                let lane = queue.partition_of(key) * 2 + usize::from(level);
                let fits = |lane: &VecDeque<Blob>| {
                    lane.len() < BLOB_MAX && weight(lane) + size <= BLOB_BYTES
                };
                let accepted = if fits(&model[lane]) {
                    true
                } else if overflow == Overflow::DropOldest && size <= BLOB_BYTES {
                    while !fits(&model[lane]) {
                        model_evicted.push(model[lane].pop_front().unwrap());
                    }
                    true
                } else {
                    false
                };
                match queue.push(blob.clone()) {
                    Ok(()) => {
                        prop_assert!(accepted, "{blob:?} accepted past the bound");
                        model[lane].push_back(blob);
                    }
                    Err(PushError::Full(back)) => {
                        prop_assert!(!accepted, "{blob:?} refused within the bound");
                        prop_assert_eq!(back, blob);
                    }
                    Err(other) => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            Op::PopFrom(partition) => {
                let popped = queue.pop_from(partition);
                // Highest level first within the partition.
                let expected = (0..2)
                    .rev()
                    .find_map(|level| model[partition * 2 + level].pop_front());
                prop_assert_eq!(popped, expected);
            }
            Op::Pop => {
                let popped = queue.pop();
                prop_assert_eq!(popped.is_some(), model.iter().any(|lane| !lane.is_empty()));
                if let Some(blob) = popped {
                    let lane = queue.partition_of(blob.key) * 2 + usize::from(blob.level);
                    prop_assert_eq!(model[lane].pop_front(), Some(blob));
                }
            }
        }
        let stats = queue.stats();
        let total: usize = model.iter().map(weight).sum();
        prop_assert_eq!(stats.bytes, total);
        for (lane, expected) in model.iter().enumerate() {
            let counters = &stats.partitions[lane / 2].levels[lane % 2];
            prop_assert_eq!(counters.bytes, weight(expected), "lane {}", lane);
            prop_assert!(counters.bytes <= BLOB_BYTES);
        }
        prop_assert_eq!(&*evicted.lock().unwrap(), &model_evicted);
        prop_assert_eq!(stats.dropped, model_evicted.len() as u64);
        prop_assert_eq!(
            stats.enqueued,
            stats.dequeued + stats.dropped + stats.len as u64
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn byte_bound_is_kept_per_lane_locked(ops in proptest::collection::vec(op(), 1..120)) {
        check_bytes::<BlobQueue>(Overflow::Reject, &ops)?;
    }

    #[test]
    fn byte_bound_evicts_oldest_per_lane_locked(ops in proptest::collection::vec(op(), 1..120)) {
        check_bytes::<BlobQueue>(Overflow::DropOldest, &ops)?;
    }

    #[test]
    fn byte_bound_is_kept_per_lane_lock_free(ops in proptest::collection::vec(op(), 1..120)) {
        check_bytes::<LockFreeBlobs>(Overflow::Reject, &ops)?;
    }

    #[test]
    fn byte_bound_evicts_oldest_per_lane_lock_free(ops in proptest::collection::vec(op(), 1..120)) {
        check_bytes::<LockFreeBlobs>(Overflow::DropOldest, &ops)?;
    }
}

#[test]
fn a_message_heavier_than_the_bound_is_refused_even_when_dropping() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let queue = BlobQueue::build(Overflow::DropOldest, Arc::clone(&evicted));
    let blob = |size, id| Blob {
        key: 0,
        level: 0,
        size,
        id,
    };
    queue.push(blob(30, 0)).unwrap();
    assert!(matches!(queue.push(blob(41, 1)), Err(PushError::Full(_))));
    assert!(evicted.lock().unwrap().is_empty());
    queue.push(blob(40, 2)).unwrap(); // fits alone: evicts the first
    assert_eq!(evicted.lock().unwrap().len(), 1);
    assert_eq!(queue.stats().bytes, 40);
}

// ---------------------------------------------------------------------------------------
// The builder's overrides.

#[test]
fn builder_overrides_overflow_and_max_bytes() {
    // A byte bound and `reject` on a queue declared with `drop_oldest` and none.
    let queue = SampleQueue::builder()
        .overflow(Overflow::Reject)
        .build()
        .unwrap();
    for seq in 0..4 {
        queue.push(Sample { sensor: 0, seq }).unwrap();
    }
    assert!(matches!(
        queue.push(Sample { sensor: 0, seq: 4 }),
        Err(PushError::Full(_))
    ));
    assert_eq!(queue.config().get_overflow(), Overflow::Reject);

    let blobs = BlobQueue::builder().max_bytes(10).build().unwrap();
    assert_eq!(blobs.config().get_max_bytes(), Some(10));
    let blob = |size| Blob {
        key: 1,
        level: 1,
        size,
        id: 0,
    };
    blobs.push(blob(6)).unwrap();
    assert!(blobs.push(blob(5)).is_err());
    blobs.push(blob(4)).unwrap();
    assert_eq!(blobs.stats().bytes, 10);

    let invalid = BlobQueue::builder().max_bytes(0).build();
    assert!(
        matches!(
            invalid,
            Err(elasticq::Error::InvalidConfig {
                field: "max_bytes",
                ..
            })
        ),
        "{invalid:?}"
    );
}

#[test]
fn declared_settings_reach_the_config() {
    let samples = SampleQueue::new().unwrap();
    assert_eq!(samples.config().get_overflow(), Overflow::DropOldest);
    assert_eq!(samples.config().get_max_bytes(), None);
    let blobs = BlobQueue::new().unwrap();
    assert_eq!(blobs.config().get_overflow(), Overflow::Reject);
    assert_eq!(blobs.config().get_max_bytes(), Some(40));
    // A weight without a byte bound still counts the bytes.
    let unbounded = BlobQueue::builder().max_capacity(8).build().unwrap();
    unbounded
        .push(Blob {
            key: 0,
            level: 0,
            size: 7,
            id: 0,
        })
        .unwrap();
    assert_eq!(unbounded.stats().bytes, 7);
}

#[test]
fn on_evict_replaces_an_earlier_callback() {
    let first = Arc::new(Mutex::new(Vec::new()));
    let second = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (Arc::clone(&first), Arc::clone(&second));
    let ring = SampleQueue::builder()
        .on_evict(move |s: Sample| a.lock().unwrap().push(s.seq))
        .on_evict(move |s: Sample| b.lock().unwrap().push(s.seq))
        .build()
        .unwrap();
    for seq in 0..6 {
        ring.push(Sample { sensor: 0, seq }).unwrap();
    }
    assert!(first.lock().unwrap().is_empty());
    assert_eq!(*second.lock().unwrap(), [0, 1]);
}

// ---------------------------------------------------------------------------------------
// Several producers and consumers.

/// Messages per producer; debug builds run the same code an order of magnitude slower.
const PER_PRODUCER: u32 = if cfg!(debug_assertions) {
    5_000
} else {
    50_000
};
const PRODUCERS: u32 = 4;
const CONSUMERS: usize = 3;

#[derive(ElasticQueue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[elastic_queue(
    partitions = 2,
    overflow = drop_oldest,
    capacity(initial = 4, min = 4, max = 16)
)]
struct Tick {
    #[elastic_queue(partition_key)]
    producer: u32,
    #[elastic_queue(priority(levels = 2))]
    level: u8,
    seq: u32,
}

#[elasticq::queue(message = Tick, overflow = drop_oldest, capacity(max = 8))]
struct PlainTicks;

#[elasticq::queue(message = Tick, engine = lock_free, partitions = 2, overflow = drop_oldest, capacity(initial = 4, min = 4, max = 16))]
struct LockFreeTicks;

/// What the stress test needs of a tick queue.
trait Ticks: Send + Sync + 'static {
    fn build(evicted: Arc<Mutex<Vec<Tick>>>) -> Self;
    fn push(&self, tick: Tick) -> Result<(), PushError<Tick>>;
    fn pop_timeout(&self) -> Result<Tick, PopError>;
    fn close(&self);
    fn stats(&self) -> Stats;
}

macro_rules! ticks {
    ($queue:ty) => {
        impl Ticks for $queue {
            fn build(evicted: Arc<Mutex<Vec<Tick>>>) -> Self {
                <$queue>::builder()
                    .on_evict(move |tick| evicted.lock().unwrap().push(tick))
                    .build()
                    .unwrap()
            }
            fn push(&self, tick: Tick) -> Result<(), PushError<Tick>> {
                <$queue>::push(self, tick)
            }
            fn pop_timeout(&self) -> Result<Tick, PopError> {
                <$queue>::pop_timeout(self, std::time::Duration::from_millis(50))
            }
            fn close(&self) {
                <$queue>::close(self)
            }
            fn stats(&self) -> Stats {
                <$queue>::stats(self)
            }
        }
    };
}

ticks!(TickQueue);
ticks!(PlainTicks);
ticks!(LockFreeTicks);

/// Producers push without ever being refused while consumers pop until the queue is closed
/// and empty; every tick is then popped or evicted exactly once, and each consumer sees
/// every (producer, level) stream in push order.
fn stress<Q: Ticks>() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let queue = Arc::new(Q::build(Arc::clone(&evicted)));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for (seq, draw) in (0..PER_PRODUCER).zip(draws(producer + 11)) {
                    let tick = Tick {
                        producer,
                        level: (draw % 2) as u8,
                        seq,
                    };
                    queue
                        .push(tick)
                        .expect("drop_oldest never refuses an open queue");
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut taken = Vec::new();
                loop {
                    match queue.pop_timeout() {
                        Ok(tick) => taken.push(tick),
                        Err(PopError::Timeout) => {}
                        Err(PopError::Closed) => return taken,
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    queue.close();
    let mut seen = HashSet::new();
    let mut popped = 0u64;
    for consumer in consumers {
        let taken = consumer.join().unwrap();
        let mut last = std::collections::HashMap::new();
        for tick in &taken {
            let previous = last.insert((tick.producer, tick.level), tick.seq);
            assert!(
                previous.is_none_or(|previous| previous < tick.seq),
                "{tick:?} after seq {previous:?}"
            );
        }
        popped += taken.len() as u64;
        for tick in taken {
            assert!(seen.insert(tick), "{tick:?} popped twice");
        }
    }
    let evicted = evicted.lock().unwrap();
    for tick in evicted.iter() {
        assert!(
            seen.insert(*tick),
            "{tick:?} popped and evicted, or evicted twice"
        );
    }
    assert_eq!(seen.len() as u64, u64::from(PRODUCERS * PER_PRODUCER));
    let stats = queue.stats();
    assert_eq!(stats.len, 0);
    assert_eq!(stats.dequeued, popped);
    assert_eq!(stats.dropped, evicted.len() as u64);
    assert_eq!(stats.enqueued, stats.dequeued + stats.dropped);
}

#[test]
fn producers_and_consumers_lose_nothing_on_a_plain_drop_oldest_queue_locked() {
    stress::<PlainTicks>();
}

on_both_engines! {
    stress:
    producers_and_consumers_lose_nothing_on_a_drop_oldest_queue_locked(TickQueue),
    producers_and_consumers_lose_nothing_on_a_drop_oldest_queue_lock_free(LockFreeTicks);
}
