//! What the processor tests share: timeouts and polling, the message types (readings with a
//! partition key, jobs, publishes with a key function, events in map mode), and the check
//! that batches arrived in order per partition within the batch size.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use elasticq::ElasticQueue;
use parking_lot::Mutex;

/// Long enough that a worker never drains on its own during a test: only a shutdown or an
/// option change makes it drain.
pub(crate) const HOUR: Duration = Duration::from_secs(3600);
/// How long a test waits for something that should happen; far above what it needs, so a
/// loaded machine does not fail it.
pub(crate) const DEADLINE: Duration = Duration::from_secs(10);

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(crate) async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "still waiting for {what}");
        tokio::time::sleep(ms(2)).await;
    }
}

pub(crate) fn eventually_blocking(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "still waiting for {what}");
        std::thread::sleep(ms(2));
    }
}

pub(crate) type Shared<T> = Arc<Mutex<T>>;

pub(crate) fn shared<T: Default>() -> Shared<T> {
    Arc::default()
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4)]
pub(crate) struct Reading {
    #[elastic_queue(partition_key)]
    pub(crate) sensor: u32,
    pub(crate) seq: u64,
}

pub(crate) fn reading(seq: u64) -> Reading {
    // 13 sensors over 4 partitions: every partition gets several keys.
    Reading {
        sensor: (seq % 13) as u32,
        seq,
    }
}

/// One partition: the worker sees every message, in push order.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
pub(crate) struct Job {
    pub(crate) id: u32,
}

pub(crate) fn job_ids(batch: &[Job]) -> Vec<u32> {
    batch.iter().map(|job| job.id).collect()
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4)]
pub(crate) struct Publish {
    #[elastic_queue(partition_key)]
    pub(crate) client: String,
    pub(crate) n: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4, partition_key = Self::device)]
pub(crate) enum Event {
    Alarm { device: u32 },
    Sample(u32, i64),
}

impl Event {
    pub(crate) fn device(&self) -> u32 {
        match self {
            Event::Alarm { device } | Event::Sample(device, _) => *device,
        }
    }
}

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq, Hash)]
#[elastic_queue(partitions = 4, partition_key = self)]
pub(crate) struct Token(pub(crate) u64);

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
pub(crate) struct Gauge {
    #[elastic_queue(key)]
    pub(crate) name: String,
    #[elastic_queue(version)]
    pub(crate) sampled_at: u64,
    pub(crate) value: i64,
}

pub(crate) fn gauge(name: &str, sampled_at: u64, value: i64) -> Gauge {
    Gauge {
        name: name.to_owned(),
        sampled_at,
        value,
    }
}

/// Checks what a processor over a `ReadingQueue` was given: each batch holds at most
/// `batch_size` readings of one partition, each partition's readings came in push order
/// (for every producer), and every pushed reading came exactly once.
pub(crate) fn check_reading_batches(
    queue: &ReadingQueue,
    batches: &[Vec<Reading>],
    batch_size: usize,
    pushed: &[u64],
    producers_of: impl Fn(u64) -> u64,
) {
    let mut per_partition: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for batch in batches {
        assert!(
            (1..=batch_size).contains(&batch.len()),
            "batch of {} with batch_size {batch_size}",
            batch.len()
        );
        let partition = queue.partition_of(&batch[0].sensor);
        for reading in batch {
            assert_eq!(
                queue.partition_of(&reading.sensor),
                partition,
                "a batch mixes partitions: {batch:?}"
            );
        }
        per_partition
            .entry(partition)
            .or_default()
            .extend(batch.iter().map(|reading| reading.seq));
    }
    for (partition, seqs) in &per_partition {
        let mut last_of_producer = BTreeMap::new();
        for &seq in seqs {
            if let Some(last) = last_of_producer.insert(producers_of(seq), seq) {
                assert!(
                    last < seq,
                    "partition {partition}: {seq} processed after {last}"
                );
            }
        }
    }
    assert!(
        per_partition.len() > 1,
        "the readings should spread over several partitions"
    );
    let mut seen: Vec<u64> = per_partition.into_values().flatten().collect();
    seen.sort_unstable();
    let mut expected = pushed.to_vec();
    expected.sort_unstable();
    assert_eq!(seen.len(), expected.len(), "lost or duplicated readings");
    assert_eq!(seen, expected);
}

pub(crate) fn recorder(
    batches: &Shared<Vec<Vec<Reading>>>,
) -> impl Fn(Vec<Reading>) -> Result<(), Infallible> {
    let batches = Arc::clone(batches);
    move |batch| {
        batches.lock().push(batch);
        Ok(())
    }
}
