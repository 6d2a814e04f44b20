//! The persistence layer: a persisted derived queue under each sync policy, against the same
//! message in a queue that is not persisted, in the same run:
//!
//! - `persist_pair/*`: one thread pushes a message with a 100-byte payload and pops it again
//!   (the pop writes an acknowledgement), under `sync = none`, `periodic(ms = 100)` and
//!   `every_write`, and on a non-persisted queue; `disk_fdatasync` is the floor under
//!   `every_write`: a record-sized write and an `fdatasync` on a zero-filled file, no queue;
//! - `persist_batch100/*`: `push_batch` of 100 messages, then `pop_batch(100)`;
//! - `persist_group_commit/*`: four producers push `GROUP_MESSAGES` messages between them
//!   under `every_write` into one queue without partitions while one consumer pops them;
//!   concurrent pushers share an `fdatasync`, and the run prints how many messages each one
//!   carried (`records_written / fsyncs`).
//!
//! After the groups, a short measurement of its own compares the pair against the figures of
//! the seed crate (1,633 ns per push+pop with no sync, 163,880 ns with an fsync every write)
//! and prints the ratios against the targets, with the disk's own write+`fdatasync` measured
//! alongside: the seed's `every_write` figure is bound to the disk it was measured on.
//!
//! Run it with `cargo bench --bench persist -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

mod disk;

use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use elasticq::{ElasticQueue, SyncPolicy};
use tempfile::TempDir;

use disk::{write_and_sync, zero_filled, RECORD};

/// A message with an id and a 100-byte payload, persisted (the builder picks the policy).
#[derive(ElasticQueue, Debug)]
#[elastic_queue(persist(sync = none))]
struct Msg {
    id: u64,
    payload: Vec<u8>,
}

/// The same message in a queue that is not persisted: the reference.
#[derive(ElasticQueue, Debug)]
struct Plain {
    id: u64,
    payload: Vec<u8>,
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Bytes of payload per message.
const PAYLOAD: usize = 100;
/// Messages per `persist_batch100` batch.
const BATCH: usize = 100;
/// Segment files: zero-filled at creation under `every_write`, so kept small.
const SEGMENT_BYTES: u64 = 8 << 20;
/// Messages per iteration of the group-commit run.
const GROUP_MESSAGES: u64 = 2_000;
/// Producers in the group-commit run.
const PRODUCERS: u64 = 4;
/// A consumer that has seen nothing for this long has lost messages; failing beats hanging.
const STALL_LIMIT: Duration = Duration::from_secs(60);

/// The seed crate's push+pop with no sync, in ns.
const SEED_NONE_NS: f64 = 1_633.0;
/// The seed crate's push+pop with an fsync every write, in ns.
const SEED_EVERY_WRITE_NS: f64 = 163_880.0;
/// Targets: `none` at most this fraction of the seed, `every_write` at most this one.
const TARGET_NONE: f64 = 0.25;
const TARGET_EVERY_WRITE: f64 = 1.0;
/// Target: messages carried per fsync with four producers, at least.
const TARGET_PER_FSYNC: f64 = 3.5;
/// Target: an `every_write` pair at most this many times the disk's own write + `fdatasync`
/// of the bytes the pair writes, the two measured in alternating blocks.
const TARGET_OVER_DISK: f64 = 1.1;
/// Alternating blocks of the interleaved measurement, and pairs (or disk writes) per block.
const ROUNDS: u64 = 8;
const BLOCK: u64 = 250;

/// The sync policies measured, with their names in the reports.
const MODES: [(&str, SyncPolicy); 3] = [
    ("none", SyncPolicy::None),
    (
        "periodic_100ms",
        SyncPolicy::Periodic(Duration::from_millis(100)),
    ),
    ("every_write", SyncPolicy::EveryWrite),
];

fn msg(id: u64) -> Msg {
    Msg {
        id,
        payload: vec![0xA5; PAYLOAD],
    }
}

fn plain(id: u64) -> Plain {
    Plain {
        id,
        payload: vec![0xA5; PAYLOAD],
    }
}

/// A persisted queue in a fresh directory under `sync`; the directory lives as long as the
/// returned guard (declared after the queue, so the queue is dropped first).
fn open(sync: SyncPolicy) -> (MsgQueue, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let queue = open_in(dir.path(), sync);
    (queue, dir)
}

fn open_in(dir: &Path, sync: SyncPolicy) -> MsgQueue {
    MsgQueue::builder()
        .dir(dir)
        .sync(sync)
        .segment_bytes(SEGMENT_BYTES)
        .build()
        .expect("a valid persisted queue")
}

/// `every_write` costs an fdatasync per push: few samples, flat, a short measurement.
fn slow(group: &mut Group, sync: SyncPolicy) {
    if sync == SyncPolicy::EveryWrite {
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(2));
    }
}

fn persist_pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("persist_pair");
    group.throughput(Throughput::Elements(1));

    let reference = PlainQueue::new().expect("valid");
    let mut i = 0u64;
    group.bench_function("not_persisted", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            reference.push(plain(i)).expect("room");
            black_box(reference.pop().map(|m| (m.id, m.payload.len())))
        })
    });

    for (name, sync) in MODES {
        let (queue, _dir) = open(sync);
        slow(&mut group, sync);
        group.bench_function(name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                queue.push(msg(i)).expect("room and a writable log");
                black_box(queue.pop().map(|m| (m.id, m.payload.len())))
            })
        });
    }

    // `slow` has set up the group for `every_write`, which this floor shares.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = zero_filled(dir.path());
    let record = [0xA5u8; RECORD];
    group.bench_function("disk_fdatasync", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            write_and_sync(&file, &record, i);
        })
    });
    group.finish();
}

fn persist_batch100(c: &mut Criterion) {
    let mut group = c.benchmark_group("persist_batch100");
    group.throughput(Throughput::Elements(BATCH as u64));

    let reference = PlainQueue::new().expect("valid");
    let mut i = 0u64;
    group.bench_function("not_persisted", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            reference
                .push_batch((0..BATCH as u64).map(|k| plain(i + k)))
                .expect("room");
            let popped = reference.pop_batch(BATCH);
            assert_eq!(popped.len(), BATCH);
            black_box(popped)
        })
    });

    for (name, sync) in MODES {
        let (queue, _dir) = open(sync);
        slow(&mut group, sync);
        group.bench_function(name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                queue
                    .push_batch((0..BATCH as u64).map(|k| msg(i + k)))
                    .expect("room and a writable log");
                let popped = queue.pop_batch(BATCH);
                assert_eq!(popped.len(), BATCH);
                black_box(popped)
            })
        });
    }
    group.finish();
}

/// Four producers push ids `0..GROUP_MESSAGES` between them into `queue`, one consumer pops
/// them all; returns the wall time from the first spawn to the last join.
fn group_commit_once(queue: &MsgQueue) -> Duration {
    let received = AtomicU64::new(0);
    let start = Instant::now();
    let sum: u64 = thread::scope(|s| {
        for p in 0..PRODUCERS {
            s.spawn(move || {
                let ids = p * GROUP_MESSAGES / PRODUCERS..(p + 1) * GROUP_MESSAGES / PRODUCERS;
                for id in ids {
                    queue.push(msg(id)).expect("room and a writable log");
                }
            });
        }
        let consumer = s.spawn(|| {
            let mut sum = 0u64;
            let mut idle_since: Option<Instant> = None;
            while received.load(Ordering::Relaxed) < GROUP_MESSAGES {
                match queue.pop() {
                    Some(m) => {
                        sum += m.id;
                        received.fetch_add(1, Ordering::Relaxed);
                        idle_since = None;
                    }
                    None => {
                        let since = *idle_since.get_or_insert_with(Instant::now);
                        assert!(
                            since.elapsed() < STALL_LIMIT,
                            "no message for {STALL_LIMIT:?}"
                        );
                        // Two cores, five threads: let the producers run.
                        thread::yield_now();
                    }
                }
            }
            sum
        });
        consumer.join().expect("the consumer panicked")
    });
    let elapsed = start.elapsed();
    assert_eq!(
        sum,
        GROUP_MESSAGES * (GROUP_MESSAGES - 1) / 2,
        "messages lost or duplicated"
    );
    elapsed
}

/// Records written per fsync since `queue` was opened.
fn per_fsync(queue: &MsgQueue) -> (u64, u64, f64) {
    let stats = queue.persist_stats();
    let ratio = stats.records_written as f64 / stats.fsyncs.max(1) as f64;
    (stats.records_written, stats.fsyncs, ratio)
}

fn persist_group_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("persist_group_commit");
    group
        .throughput(Throughput::Elements(GROUP_MESSAGES))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    // One queue for every iteration: each drains what it pushed, and creating a queue
    // (zero-filling its segment) stays out of the measurement.
    let (queue, _dir) = open(SyncPolicy::EveryWrite);
    group.bench_function("every_write_4p1c", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| group_commit_once(&queue)).sum())
    });
    group.finish();
    let (records, fsyncs, ratio) = per_fsync(&queue);
    println!(
        "persist_group_commit/every_write_4p1c: messages per fsync = {records} / {fsyncs} = {ratio:.2}"
    );
}

/// Mean ns per push+pop over `pairs` pairs on a fresh queue under `sync`, after a tenth as
/// many to warm up.
fn pair_ns(sync: SyncPolicy, pairs: u64) -> f64 {
    let (queue, _dir) = open(sync);
    let run = |n: u64| {
        let start = Instant::now();
        for id in 0..n {
            queue.push(msg(id)).expect("room and a writable log");
            black_box(queue.pop());
        }
        start.elapsed()
    };
    run(pairs / 10);
    run(pairs).as_nanos() as f64 / pairs as f64
}

/// Mean ns per write+`fdatasync` over `n` of them, after a tenth as many to warm up.
fn disk_ns(n: u64) -> f64 {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = zero_filled(dir.path());
    let record = [0xA5u8; RECORD];
    let run = |count: u64| {
        let start = Instant::now();
        for k in 0..count {
            write_and_sync(&file, &record, k);
        }
        start.elapsed()
    };
    run(n / 10);
    run(n).as_nanos() as f64 / n as f64
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// `every_write` pairs against the disk's own write + `fdatasync`, in alternating blocks of
/// `BLOCK` on one file system, so that the disk's drift over a run (its latency on this
/// machine moves by a third within minutes) falls on both alike. The disk writes as many
/// bytes per sync as a pair appends (its record and the previous pop's acknowledgement).
/// Returns (ns per pair, ns per disk write, bytes per pair).
fn interleaved_every_write() -> (f64, f64, usize) {
    let (queue, dir) = open(SyncPolicy::EveryWrite);
    let file = zero_filled(dir.path());
    // Warm both up, and learn the bytes a pair appends.
    for id in 0..BLOCK {
        queue.push(msg(id)).expect("room and a writable log");
        black_box(queue.pop());
    }
    let bytes = (queue.persist_stats().bytes_written / BLOCK) as usize;
    let record = vec![0xA5u8; bytes];
    let (mut pairs, mut syncs) = (Duration::ZERO, Duration::ZERO);
    let mut k = 0;
    let mut id = BLOCK;
    for round in 0..ROUNDS {
        // Which block goes first alternates too, so that neither always follows the other.
        for queue_turn in [round % 2 == 0, round % 2 == 1] {
            let start = Instant::now();
            if queue_turn {
                for _ in 0..BLOCK {
                    queue.push(msg(id)).expect("room and a writable log");
                    black_box(queue.pop());
                    id += 1;
                }
                pairs += start.elapsed();
            } else {
                for _ in 0..BLOCK {
                    write_and_sync(&file, &record, k);
                    k += 1;
                }
                syncs += start.elapsed();
            }
        }
    }
    let n = (ROUNDS * BLOCK) as f64;
    (
        pairs.as_nanos() as f64 / n,
        syncs.as_nanos() as f64 / n,
        bytes,
    )
}

/// The figures against the seed crate's, from a short measurement of its own.
fn seed_ratios() {
    let none = pair_ns(SyncPolicy::None, 200_000);
    let every_write = pair_ns(SyncPolicy::EveryWrite, 2_000);
    let disk = disk_ns(2_000);
    let (paired, synced, pair_bytes) = interleaved_every_write();
    let (queue, _dir) = open(SyncPolicy::EveryWrite);
    group_commit_once(&queue);
    let (records, fsyncs, per_fsync) = per_fsync(&queue);

    let none_ratio = none / SEED_NONE_NS;
    let every_write_ratio = every_write / SEED_EVERY_WRITE_NS;
    println!();
    println!("persist vs the seed crate (push+pop, {PAYLOAD}-byte payload):");
    println!(
        "  none:        {none:>10.0} ns per pair, {none_ratio:.3}x the seed's {SEED_NONE_NS:.0} ns \
         (target <= {TARGET_NONE}x: {})",
        verdict(none_ratio <= TARGET_NONE)
    );
    println!(
        "  every_write: {every_write:>10.0} ns per pair, {every_write_ratio:.3}x the seed's \
         {SEED_EVERY_WRITE_NS:.0} ns (target <= {TARGET_EVERY_WRITE}x: {})",
        verdict(every_write_ratio <= TARGET_EVERY_WRITE)
    );
    println!(
        "  the disk's own {RECORD}-byte write + fdatasync: {disk:>10.0} ns, {:.3}x the seed's \
         every_write; every_write is {:.2}x it",
        disk / SEED_EVERY_WRITE_NS,
        every_write / disk
    );
    let over_disk = paired / synced;
    println!(
        "  every_write against the disk, alternating blocks of {BLOCK}: {paired:>10.0} ns per \
         pair, {synced:>10.0} ns per {pair_bytes}-byte write + fdatasync: {over_disk:.3}x \
         (target <= {TARGET_OVER_DISK}x: {})",
        verdict(over_disk <= TARGET_OVER_DISK)
    );
    println!(
        "  every_write, {PRODUCERS} producers: {per_fsync:.2} messages per fsync \
         ({records} records / {fsyncs} fsyncs; target >= {TARGET_PER_FSYNC}: {})",
        verdict(per_fsync >= TARGET_PER_FSYNC)
    );
}

fn benches() {
    // Modest defaults so the suite stays within a few minutes on a small machine; the command
    // line (`--warm-up-time`, `--measurement-time`) still overrides them.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    persist_pair(&mut criterion);
    persist_batch100(&mut criterion);
    persist_group_commit(&mut criterion);
    criterion.final_summary();
    seed_ratios();
}

criterion_main!(benches);
