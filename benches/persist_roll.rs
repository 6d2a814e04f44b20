//! What a segment roll costs a push under `every_write`, measured against a push that does
//! not roll and against the disk's own write + `fdatasync`, in the same run:
//!
//! - `persist_roll/rolling_64k`: pushes (with pops, so the queue stays small and consumed
//!   segments are deleted) into a log of 64 KiB segments: a roll, a segment prepared ahead
//!   and a deletion every ~400 pushes;
//! - `persist_roll/no_roll_8m`: the same into 8 MiB segments, where no roll falls in a
//!   measurement;
//! - `persist_roll/disk_fdatasync`: a record-sized write and an `fdatasync`, no queue.
//!
//! After the group, `roll_percentiles` times every push of a run long enough to cross many
//! rolls and prints p50, p99 and max of each, and the ratios of rolling to not rolling and
//! to the disk: the target is a p99 across rolls within a normal commit's (ratio near 1).
//!
//! Run it with `cargo bench --bench persist_roll`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

mod disk;

use criterion::{criterion_main, Criterion, SamplingMode, Throughput};
use elasticq::{ElasticQueue, SyncPolicy};

use disk::{write_and_sync, zero_filled, RECORD};

#[derive(ElasticQueue, Debug)]
#[elastic_queue(persist(sync = every_write))]
struct Msg {
    id: u64,
    payload: Vec<u8>,
}

const SMALL: u64 = 64 << 10;
const LARGE: u64 = disk::FILE_BYTES;
/// Pushes timed one by one in `roll_percentiles`.
const TIMED: usize = 6000;

fn msg(id: u64) -> Msg {
    Msg {
        id,
        payload: vec![0x5A; 100],
    }
}

fn open(dir: &Path, segment_bytes: u64) -> MsgQueue {
    MsgQueue::builder()
        .dir(dir)
        .sync(SyncPolicy::EveryWrite)
        .segment_bytes(segment_bytes)
        .build()
        .expect("a valid persisted queue")
}

fn persist_roll(c: &mut Criterion) {
    let mut group = c.benchmark_group("persist_roll");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(3));
    let mut i = 0u64;
    for (name, segment_bytes) in [("rolling_64k", SMALL), ("no_roll_8m", LARGE)] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let queue = open(dir.path(), segment_bytes);
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                queue.push(msg(i)).expect("room and a writable log");
                black_box(queue.pop().map(|m| m.id))
            })
        });
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = zero_filled(dir.path());
    let record = [0xA5u8; RECORD];
    group.bench_function("disk_fdatasync", |b| {
        b.iter(|| {
            i += 1;
            write_and_sync(&file, &record, i);
        })
    });
    group.finish();
}

/// p50, p99 and max of `samples`, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99), at(1.0))
}

fn timed_pushes(segment_bytes: u64) -> (Vec<Duration>, u64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let queue = open(dir.path(), segment_bytes);
    let times = (0..TIMED as u64)
        .map(|i| {
            let started = Instant::now();
            queue.push(msg(i)).expect("room and a writable log");
            let took = started.elapsed();
            black_box(queue.pop());
            took
        })
        .collect();
    (times, queue.persist_stats().fsyncs)
}

fn roll_percentiles() {
    let (rolling, fsyncs) = timed_pushes(SMALL);
    let rolls = (TIMED * (RECORD + 17)) as u64 / SMALL;
    let (steady, _) = timed_pushes(LARGE);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = zero_filled(dir.path());
    let record = [0xA5u8; RECORD];
    let disk: Vec<Duration> = (0..TIMED as u64)
        .map(|n| {
            let started = Instant::now();
            write_and_sync(&file, &record, n);
            started.elapsed()
        })
        .collect();
    let (r50, r99, rmax) = percentiles(rolling);
    let (s50, s99, smax) = percentiles(steady);
    let (d50, d99, dmax) = percentiles(disk);
    println!("\npush latency under every_write, {TIMED} pushes each (µs: p50 / p99 / max):");
    println!("  rolling 64 KiB segments (~{rolls} rolls, {fsyncs} fsyncs): {r50:.0} / {r99:.0} / {rmax:.0}");
    println!("  no roll, 8 MiB segments:                  {s50:.0} / {s99:.0} / {smax:.0}");
    println!("  disk write + fdatasync:                   {d50:.0} / {d99:.0} / {dmax:.0}");
    println!(
        "  p99 rolling / no roll: {:.2}x; p99 rolling / disk: {:.2}x",
        r99 / s99,
        r99 / d99
    );
}

fn benches() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    persist_roll(&mut criterion);
    criterion.final_summary();
    roll_percentiles();
}

criterion_main!(benches);
