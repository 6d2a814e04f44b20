//! The layers against the plain engines and crossbeam's `ArrayQueue`, in the same run:
//!
//! - `priority_pair/*`: one thread pushes one message and pops it again, the messages cycling
//!   through three priority levels; strict and `fair(max_consecutive = 4)` on both engines,
//!   against the same message without a priority and against `ArrayQueue`;
//! - `partitions_4p1c/*` and `partitions_4p4c/*`: four producers, each its own partition key,
//!   into `partitions = 4` or `partitions = 1`, drained by one consumer with `pop`, or by four
//!   with `pop_from` (one per partition) against four sharing `pop` on one partition;
//! - `map_put/*`: map mode's `put` of a new key then `pop`, and `put` over 64 hot keys,
//!   against a `Mutex<HashMap>` doing the same.
//!
//! Run it with `cargo bench --bench layers -- --warm-up-time 1 --measurement-time 3`.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;

use common::{bench_threaded, contend, threaded_group, Group, MESSAGES};
use criterion::{criterion_main, Criterion, Throughput};
use crossbeam_queue::ArrayQueue;
use elasticq::{ElasticQueue, Priority};

/// Three levels, as MQTT's QoS.
#[derive(Priority, Clone, Copy)]
enum Level {
    Low,
    Mid,
    High,
}

const LEVELS: [Level; 3] = [Level::Low, Level::Mid, Level::High];

/// A message with a priority, strict, on the locked engine.
#[derive(ElasticQueue)]
#[elastic_queue(capacity(initial = 1024, min = 1024))]
struct Ranked {
    #[elastic_queue(priority)]
    level: Level,
    value: u64,
}

#[elasticq::queue(message = Ranked, engine = lock_free, capacity(initial = 1024, min = 1024))]
struct LockFreeRanked;

#[elasticq::queue(message = Ranked, fair(max_consecutive = 4), capacity(initial = 1024, min = 1024))]
struct FairRanked;

#[elasticq::queue(
    message = Ranked,
    engine = lock_free,
    fair(max_consecutive = 4),
    capacity(initial = 1024, min = 1024)
)]
struct FairLockFreeRanked;

/// The same payload without a priority.
#[derive(ElasticQueue)]
#[elastic_queue(capacity(initial = 1024, min = 1024))]
struct Plain {
    value: u64,
}

#[elasticq::queue(message = Plain, engine = lock_free, capacity(initial = 1024, min = 1024))]
struct LockFreePlain;

/// A message routed by the producer that sent it.
#[derive(ElasticQueue)]
#[elastic_queue(partitions = 4, capacity(initial = 1024, min = 1024))]
struct Routed {
    #[elastic_queue(partition_key)]
    producer: u64,
    value: u64,
}

#[elasticq::queue(
    message = Routed,
    engine = lock_free,
    partitions = 4,
    capacity(initial = 1024, min = 1024)
)]
struct LockFreeRouted;

/// A gauge kept by name in map mode.
#[derive(ElasticQueue)]
#[elastic_queue(mode = map, partitions = 1)]
struct Gauge {
    #[elastic_queue(key)]
    name: u64,
    value: u64,
}

fn ranked(i: u64) -> Ranked {
    Ranked {
        level: LEVELS[(i % 3) as usize],
        value: i,
    }
}

/// One push and one pop per iteration, the `i`-th message built by `make`.
fn bench_pair<T>(
    group: &mut Group,
    name: &str,
    make: impl Fn(u64) -> T,
    push: impl Fn(T) -> bool,
    pop: impl Fn() -> Option<u64>,
) {
    let mut i = 0u64;
    group.bench_function(name, |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            assert!(push(make(i)));
            black_box(pop())
        })
    });
}

fn priority_pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("priority_pair");
    group.throughput(Throughput::Elements(1));

    let array = ArrayQueue::new(1024);
    bench_pair(
        &mut group,
        "ArrayQueue",
        |i| i,
        |v| array.push(v).is_ok(),
        || array.pop(),
    );
    let plain = PlainQueue::new().expect("valid");
    bench_pair(
        &mut group,
        "plain_locked",
        |value| Plain { value },
        |m| plain.push(m).is_ok(),
        || plain.pop().map(|m| m.value),
    );
    let plain = LockFreePlain::new().expect("valid");
    bench_pair(
        &mut group,
        "plain_lock_free",
        |value| Plain { value },
        |m| plain.push(m).is_ok(),
        || plain.pop().map(|m| m.value),
    );

    let strict = RankedQueue::new().expect("valid");
    bench_pair(
        &mut group,
        "strict_locked",
        ranked,
        |m| strict.push(m).is_ok(),
        || strict.pop().map(|m| m.value),
    );
    let fair = FairRanked::new().expect("valid");
    bench_pair(
        &mut group,
        "fair_locked",
        ranked,
        |m| fair.push(m).is_ok(),
        || fair.pop().map(|m| m.value),
    );
    let strict = LockFreeRanked::new().expect("valid");
    bench_pair(
        &mut group,
        "strict_lock_free",
        ranked,
        |m| strict.push(m).is_ok(),
        || strict.pop().map(|m| m.value),
    );
    let fair = FairLockFreeRanked::new().expect("valid");
    bench_pair(
        &mut group,
        "fair_lock_free",
        ranked,
        |m| fair.push(m).is_ok(),
        || fair.pop().map(|m| m.value),
    );
    group.finish();
}

/// The producer a value comes from, as `contend` splits the values into four ranges.
fn producer_of(value: u64) -> u64 {
    value * 4 / MESSAGES
}

fn routed(value: u64) -> Routed {
    Routed {
        producer: producer_of(value),
        value,
    }
}

macro_rules! partition_benches {
    ($group:expr, $label:literal, $queue:ty, $partitions:expr, $consumers:expr) => {{
        bench_threaded(
            $group,
            concat!($label, "/", stringify!($partitions), "_partitions"),
            || {
                let queue = <$queue>::builder()
                    .partitions($partitions)
                    .build()
                    .expect("valid");
                let push = |v: u64| queue.push(routed(v)).map_err(|e| e.into_inner().value);
                if $consumers == 1 {
                    contend(4, push, vec![|| queue.pop().map(|m| m.value)])
                } else if $partitions == 1 {
                    let consumers = (0..4).map(|_| || queue.pop().map(|m| m.value)).collect();
                    contend(4, push, consumers)
                } else {
                    let queue = &queue;
                    let consumers = (0..4)
                        .map(|p| move || queue.pop_from(p).map(|m| m.value))
                        .collect();
                    contend(4, push, consumers)
                }
            },
        );
    }};
}

fn partitions(c: &mut Criterion) {
    let mut group = threaded_group(c, "partitions_4p1c");
    partition_benches!(&mut group, "locked", RoutedQueue, 4, 1);
    partition_benches!(&mut group, "locked", RoutedQueue, 1, 1);
    partition_benches!(&mut group, "lock_free", LockFreeRouted, 4, 1);
    partition_benches!(&mut group, "lock_free", LockFreeRouted, 1, 1);
    group.finish();

    let mut group = threaded_group(c, "partitions_4p4c");
    partition_benches!(&mut group, "locked", RoutedQueue, 4, 4);
    partition_benches!(&mut group, "locked", RoutedQueue, 1, 4);
    partition_benches!(&mut group, "lock_free", LockFreeRouted, 4, 4);
    partition_benches!(&mut group, "lock_free", LockFreeRouted, 1, 4);
    group.finish();
}

fn map_put(c: &mut Criterion) {
    let mut group = c.benchmark_group("map_put");
    group.throughput(Throughput::Elements(1));

    let gauges = GaugeQueue::new().expect("valid");
    let mut i = 0u64;
    group.bench_function("new_key_then_pop/map_mode", |b| {
        b.iter(|| {
            i += 1;
            gauges.put(Gauge { name: i, value: i }).expect("room");
            black_box(gauges.pop().map(|g| g.value))
        })
    });
    let peer: Mutex<HashMap<u64, u64>> = Mutex::new(HashMap::new());
    group.bench_function("new_key_then_pop/Mutex<HashMap>", |b| {
        b.iter(|| {
            i += 1;
            peer.lock().expect("not poisoned").insert(i, i);
            black_box(peer.lock().expect("not poisoned").remove(&i))
        })
    });

    let hot = GaugeQueue::new().expect("valid");
    group.bench_function("overwrite_64_hot_keys/map_mode", |b| {
        b.iter(|| {
            i += 1;
            black_box(
                hot.put(Gauge {
                    name: i % 64,
                    value: i,
                })
                .expect("room"),
            )
        })
    });
    let peer: Mutex<HashMap<u64, u64>> = Mutex::new(HashMap::new());
    group.bench_function("overwrite_64_hot_keys/Mutex<HashMap>", |b| {
        b.iter(|| {
            i += 1;
            black_box(peer.lock().expect("not poisoned").insert(i % 64, i))
        })
    });
    group.finish();
}

fn benches() {
    let mut criterion = common::criterion_config().configure_from_args();
    priority_pair(&mut criterion);
    partitions(&mut criterion);
    map_put(&mut criterion);
    criterion.final_summary();
}

criterion_main!(benches);
