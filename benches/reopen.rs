//! What `open` costs on a log that kept 1,000,000 acknowledged records and owes 1,000,
//! spread over it (one held in every 1,001, so every segment stays on disk), in the
//! same run:
//!
//! - `reopen/from_checkpoint`: the log as a closed queue leaves it (its checkpoint read:
//!   the owed records and what follows the checkpoint);
//! - `reopen/whole_log`: the same log with its checkpoint deleted, so `open` reads every
//!   record, as it did before checkpoints.
//!
//! Only the `open` is timed; the drop after it (which writes the checkpoint) is not. The
//! target is `from_checkpoint` under 10 ms. Run it with `cargo bench --bench reopen`.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion};
use elasticq::{ElasticQueue, SyncPolicy};

#[derive(ElasticQueue, Debug)]
#[elastic_queue(persist(sync = none))]
struct Reading {
    id: u64,
    payload: Vec<u8>,
}

const ACKED: u64 = 1_000_000;
const OWED_EVERY: u64 = 1_000;

fn open(dir: &Path) -> ReadingQueue {
    ReadingQueue::builder()
        .dir(dir)
        .sync(SyncPolicy::None)
        .build()
        .expect("a persisted queue")
}

/// Writes the log: batches of 1,001 pushed, all popped, all but the first of each
/// acknowledged (the first's delivery is dropped, so it stays owed).
fn write_log(dir: &Path) {
    let queue = open(dir);
    let mut id = 0;
    for _ in 0..ACKED / OWED_EVERY {
        let batch: Vec<Reading> = (id..=id + OWED_EVERY)
            .map(|id| Reading {
                id,
                payload: vec![0x5A; 40],
            })
            .collect();
        id += OWED_EVERY + 1;
        queue.push_batch(batch).expect("room for a batch");
        drop(queue.pop_delivery());
        for delivery in queue.pop_delivery_batch(OWED_EVERY as usize) {
            delivery.ack().expect("an ack");
        }
    }
}

fn remove_checkpoints(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("the log directory") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "ckpt") {
            std::fs::remove_file(path).expect("a checkpoint removed");
        }
    }
}

fn reopen(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_log(dir.path());
    {
        let queue = open(dir.path());
        let stats = queue.persist_stats();
        assert_eq!(queue.len() as u64, ACKED / OWED_EVERY, "what the log owes");
        println!(
            "log: {} owed, {} segments, {} bytes on disk",
            queue.len(),
            stats.segments,
            stats.disk_bytes
        );
    }
    let mut group = c.benchmark_group("reopen");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("from_checkpoint", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let queue = open(dir.path());
                total += started.elapsed();
                assert_eq!(queue.persist_stats().from_checkpoint, 1);
                drop(queue);
            }
            total
        })
    });
    group.bench_function("whole_log", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                remove_checkpoints(dir.path());
                let started = Instant::now();
                let queue = open(dir.path());
                total += started.elapsed();
                assert_eq!(queue.persist_stats().from_checkpoint, 0);
                drop(queue);
            }
            total
        })
    });
    group.finish();
}

fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    reopen(&mut criterion);
    criterion.final_summary();
}

criterion_main!(benches);
