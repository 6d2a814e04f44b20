//! Throughput of elasticq's two engines, `LockFreeQueue` and `LockedQueue`, against the
//! usual Rust queues and channels: `crossbeam_queue::{ArrayQueue, SegQueue}`,
//! `crossbeam_channel`, `flume` and `std::sync::mpsc`. Every value is a `u64`.
//!
//! Each benchmark group puts all contenders side by side on one scenario:
//! - `pair`: one thread pushes one message and pops it again, on a queue of 1024 slots;
//! - `burst`: one thread pushes 1,000,000 messages, then pops them all; the elastic engines
//!   start at 1024 slots and grow;
//! - `producers_to_one_consumer/{1,2,4}`: N producer threads push 100,000 messages in total
//!   while one consumer pops them, spinning (with `yield_now`) on an empty or full queue;
//! - `mpmc_2x2`: the same with two producers and two consumers;
//! - `batch_100`: one thread pushes 100 messages, then pops 100 (`push_batch`/`pop_batch` on
//!   the elastic engines, single operations in a loop on the others).
//!
//! Throughput is reported per message, so criterion's time divided by the element count is
//! the per-message cost. The multi-threaded groups time the wall clock from the first thread
//! spawn to the last join, and check that every message arrived exactly once.
//!
//! Run it with `cargo bench --bench engines`; pass a filter to run one group, for example
//! `cargo bench --bench engines -- pair`, and `--warm-up-time`/`--measurement-time` (seconds)
//! to trade precision for time. `cargo test --benches` runs every benchmark once as a smoke
//! test.

mod common;

use common::{bench_threaded, contend, threaded_group, Group};

use std::hint::black_box;
use std::sync::mpsc;

use criterion::{criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use crossbeam_queue::{ArrayQueue, SegQueue};
use elasticq::{Config, Engine, LockFreeQueue, LockedQueue, PushError};

/// Capacity of every bounded queue, and the elastic engines' starting capacity.
const CAPACITY: usize = 1024;
/// Messages pushed and then popped per `burst` iteration.
const BURST: u64 = 1_000_000;
/// Messages per `batch_100` iteration.
const BATCH: usize = 100;

/// The elastic engines start at the bounded peers' size, and `min_capacity` keeps them from
/// shrinking below it, so in the steady-state groups they never hold fewer slots than the
/// peers. `max_capacity` leaves room for the whole burst: the lock-free engine counts sealed
/// rings against the maximum until they are drained, so 1M messages need about 2M.
fn elastic_config() -> Config {
    Config::new()
        .initial_capacity(CAPACITY)
        .min_capacity(CAPACITY)
        .max_capacity(1 << 21)
        .growth_factor(2.0)
        .shrink_threshold(0.25)
}

fn elastic<E: Engine<u64>>() -> E {
    E::with_config(elastic_config()).expect("the benchmark configuration is valid")
}

/// The push the threaded scenarios retry on: `Err` hands the value back for another try.
fn engine_try_push<E: Engine<u64>>(queue: &E, value: u64) -> Result<(), u64> {
    queue.push(value).map_err(PushError::into_inner)
}

fn std_try_send(sender: &mpsc::SyncSender<u64>, value: u64) -> Result<(), u64> {
    sender.try_send(value).map_err(|e| match e {
        mpsc::TrySendError::Full(v) | mpsc::TrySendError::Disconnected(v) => v,
    })
}

// ---------------------------------------------------------------------------------------------
// pair

fn bench_pair<Q>(
    group: &mut Group,
    name: &str,
    queue: Q,
    push: impl Fn(&Q, u64),
    pop: impl Fn(&Q) -> Option<u64>,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            push(&queue, black_box(1));
            black_box(pop(&queue).expect("the message just pushed pops"))
        })
    });
}

fn pair_engine<E: Engine<u64>>(group: &mut Group, name: &str) {
    bench_pair(
        group,
        name,
        elastic::<E>(),
        |q, v| q.push(v).expect("below capacity"),
        E::pop,
    );
}

fn pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("pair");
    group.throughput(Throughput::Elements(1));
    pair_engine::<LockFreeQueue<u64>>(&mut group, "LockFreeQueue");
    pair_engine::<LockedQueue<u64>>(&mut group, "LockedQueue");
    single_op_peers(&mut group, &Pair);
    group.finish();
}

/// A scenario that runs the same way on every peer with single push and pop operations.
trait PeerScenario {
    fn run<Q>(
        &self,
        group: &mut Group,
        name: &str,
        queue: Q,
        push: impl Fn(&Q, u64),
        pop: impl Fn(&Q) -> Option<u64>,
    );
}

/// ArrayQueue, SegQueue and the three channels, each bounded at `CAPACITY` where it can be.
fn single_op_peers(group: &mut Group, scenario: &impl PeerScenario) {
    scenario.run(
        group,
        "ArrayQueue",
        ArrayQueue::new(CAPACITY),
        |q, v| q.push(v).expect("below capacity"),
        ArrayQueue::pop,
    );
    // SegQueue cannot be bounded; with one message in flight it never allocates past its
    // first block, so it is still a like-for-like comparison.
    scenario.run(
        group,
        "SegQueue",
        SegQueue::new(),
        SegQueue::push,
        SegQueue::pop,
    );
    scenario.run(
        group,
        "crossbeam_channel",
        crossbeam_channel::bounded(CAPACITY),
        |(tx, _), v| tx.try_send(v).expect("below capacity"),
        |(_, rx)| rx.try_recv().ok(),
    );
    scenario.run(
        group,
        "flume",
        flume::bounded(CAPACITY),
        |(tx, _), v| tx.try_send(v).expect("below capacity"),
        |(_, rx)| rx.try_recv().ok(),
    );
    scenario.run(
        group,
        "std_mpsc",
        mpsc::sync_channel(CAPACITY),
        |(tx, _), v| tx.try_send(v).expect("below capacity"),
        |(_, rx)| rx.try_recv().ok(),
    );
}

/// One push and one pop per iteration.
struct Pair;

impl PeerScenario for Pair {
    fn run<Q>(
        &self,
        group: &mut Group,
        name: &str,
        queue: Q,
        push: impl Fn(&Q, u64),
        pop: impl Fn(&Q) -> Option<u64>,
    ) {
        bench_pair(group, name, queue, push, pop);
    }
}

/// 100 single pushes, then 100 single pops.
struct Batch;

impl PeerScenario for Batch {
    fn run<Q>(
        &self,
        group: &mut Group,
        name: &str,
        queue: Q,
        push: impl Fn(&Q, u64),
        pop: impl Fn(&Q) -> Option<u64>,
    ) {
        batch_peer(group, name, queue, push, pop);
    }
}

// ---------------------------------------------------------------------------------------------
// burst

/// Building the queue is setup, outside the timing: that keeps the 16 MB `ArrayQueue`
/// allocation out, while the growth of the elastic engines and the block allocations of the
/// unbounded queues, which happen during the pushes, stay in.
fn bench_burst<Q>(
    group: &mut Group,
    name: &str,
    make: impl Fn() -> Q,
    push: impl Fn(&Q, u64),
    pop: impl Fn(&Q) -> Option<u64>,
) {
    group.bench_function(name, |b| {
        b.iter_batched(
            &make,
            |queue| {
                for v in 0..BURST {
                    push(&queue, v);
                }
                let mut sum = 0;
                for _ in 0..BURST {
                    sum += pop(&queue).expect("every pushed message pops");
                }
                assert_eq!(sum, BURST * (BURST - 1) / 2);
                // Returned so that dropping it, with whatever it still holds, is not timed.
                queue
            },
            BatchSize::PerIteration,
        )
    });
}

fn burst_engine<E: Engine<u64>>(group: &mut Group, name: &str) {
    bench_burst(
        group,
        name,
        elastic::<E>,
        |q, v| q.push(v).expect("below max_capacity"),
        E::pop,
    );
}

fn burst(c: &mut Criterion) {
    let mut group = c.benchmark_group("burst");
    group
        .throughput(Throughput::Elements(BURST))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    burst_engine::<LockFreeQueue<u64>>(&mut group, "LockFreeQueue");
    burst_engine::<LockedQueue<u64>>(&mut group, "LockedQueue");
    // ArrayQueue cannot grow, so it is sized for the whole burst up front: 1M slots.
    bench_burst(
        &mut group,
        "ArrayQueue",
        || ArrayQueue::new(BURST as usize),
        |q, v| q.push(v).expect("sized for the burst"),
        ArrayQueue::pop,
    );
    bench_burst(
        &mut group,
        "SegQueue",
        SegQueue::new,
        SegQueue::push,
        SegQueue::pop,
    );
    bench_burst(
        &mut group,
        "crossbeam_channel",
        crossbeam_channel::unbounded,
        |(tx, _), v| tx.send(v).expect("the receiver is alive"),
        |(_, rx)| rx.try_recv().ok(),
    );
    bench_burst(
        &mut group,
        "flume",
        flume::unbounded,
        |(tx, _), v| tx.send(v).expect("the receiver is alive"),
        |(_, rx)| rx.try_recv().ok(),
    );
    bench_burst(
        &mut group,
        "std_mpsc",
        mpsc::channel,
        |(tx, _), v| tx.send(v).expect("the receiver is alive"),
        |(_, rx)| rx.try_recv().ok(),
    );
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// threaded scenarios

fn threaded_engine<E: Engine<u64> + Send + Sync>(
    group: &mut Group,
    name: &str,
    producers: u64,
    consumers: usize,
) {
    bench_threaded(group, name, || {
        let queue = elastic::<E>();
        let queue = &queue;
        contend(
            producers,
            |v| engine_try_push(queue, v),
            vec![|| queue.pop(); consumers],
        )
    });
}

/// Every contender that allows more than one consumer, bounded at `CAPACITY` where the
/// contender can be bounded; `std::sync::mpsc` is added by the single-consumer group only.
fn threaded_shared(group: &mut Group, producers: u64, consumers: usize) {
    threaded_engine::<LockFreeQueue<u64>>(group, "LockFreeQueue", producers, consumers);
    threaded_engine::<LockedQueue<u64>>(group, "LockedQueue", producers, consumers);
    bench_threaded(group, "ArrayQueue", || {
        let queue = ArrayQueue::new(CAPACITY);
        let queue = &queue;
        contend(
            producers,
            |v| queue.push(v),
            vec![|| queue.pop(); consumers],
        )
    });
    // Unbounded: SegQueue has no capacity limit to set.
    bench_threaded(group, "SegQueue", || {
        let queue = SegQueue::new();
        let queue = &queue;
        contend(
            producers,
            |v| {
                queue.push(v);
                Ok(())
            },
            vec![|| queue.pop(); consumers],
        )
    });
    bench_threaded(group, "crossbeam_channel", || {
        let (tx, rx) = crossbeam_channel::bounded(CAPACITY);
        let rx = &rx;
        contend(
            producers,
            |v| tx.try_send(v).map_err(|e| e.into_inner()),
            vec![|| rx.try_recv().ok(); consumers],
        )
    });
    bench_threaded(group, "flume", || {
        let (tx, rx) = flume::bounded(CAPACITY);
        let rx = &rx;
        contend(
            producers,
            |v| tx.try_send(v).map_err(|e| e.into_inner()),
            vec![|| rx.try_recv().ok(); consumers],
        )
    });
}

fn producers_to_one_consumer(c: &mut Criterion) {
    for producers in [1, 2, 4] {
        let mut group = threaded_group(c, &format!("producers_to_one_consumer/{producers}"));
        threaded_shared(&mut group, producers, 1);
        bench_threaded(&mut group, "std_mpsc", || {
            let (tx, rx) = mpsc::sync_channel(CAPACITY);
            contend(
                producers,
                |v| std_try_send(&tx, v),
                vec![move || rx.try_recv().ok()],
            )
        });
        group.finish();
    }
}

fn mpmc_2x2(c: &mut Criterion) {
    let mut group = threaded_group(c, "mpmc_2x2");
    // std::sync::mpsc is left out: its Receiver is single-consumer (neither Clone nor Sync).
    threaded_shared(&mut group, 2, 2);
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// batch_100

fn bench_batch<Q>(group: &mut Group, name: &str, queue: Q, round: impl Fn(&Q)) {
    group.bench_function(name, |b| b.iter(|| round(&queue)));
}

fn batch_engine<E: Engine<u64>>(group: &mut Group, name: &str) {
    bench_batch(group, name, elastic::<E>(), |queue| {
        queue.push_batch(0..BATCH as u64).expect("below capacity");
        let popped = queue.pop_batch(BATCH);
        assert_eq!(popped.len(), BATCH);
        black_box(popped);
    });
}

/// The peers have no batch operations: 100 single pushes, then 100 single pops.
fn batch_peer<Q>(
    group: &mut Group,
    name: &str,
    queue: Q,
    push: impl Fn(&Q, u64),
    pop: impl Fn(&Q) -> Option<u64>,
) {
    bench_batch(group, name, queue, |queue| {
        for v in 0..BATCH as u64 {
            push(queue, black_box(v));
        }
        for _ in 0..BATCH {
            black_box(pop(queue).expect("every pushed message pops"));
        }
    });
}

fn batch_100(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_100");
    group.throughput(Throughput::Elements(BATCH as u64));
    batch_engine::<LockFreeQueue<u64>>(&mut group, "LockFreeQueue");
    batch_engine::<LockedQueue<u64>>(&mut group, "LockedQueue");
    single_op_peers(&mut group, &Batch);
    group.finish();
}

/// `criterion_group!` expands to an undocumented `pub fn`; inside a private module it is not
/// exported, so the workspace's `missing_docs` lint has nothing to flag.
mod suite {
    use super::common::criterion_config;
    use super::{batch_100, burst, mpmc_2x2, pair, producers_to_one_consumer};

    criterion::criterion_group! {
        name = benches;
        config = criterion_config();
        targets = pair, burst, producers_to_one_consumer, mpmc_2x2, batch_100
    }
}
criterion_main!(suite::benches);
