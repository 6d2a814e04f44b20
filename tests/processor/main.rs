#![cfg(feature = "tokio")]
//! The processor: PartitionedBuffer's processing cycle (one worker per partition, batches
//! every interval, retries, dead letters, option changes, shutdown) ported to elasticq's
//! generated queues, on tokio tasks and on threads. Persisted queues are in
//! `persist.rs`.

mod persist;

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use elasticq::{
    Cause, ElasticQueue, Entry, Failure, GeneratedQueue, ProcessorBuilder, ProcessorError,
    ProcessorOptions, Put, TakenBatch,
};
use parking_lot::Mutex;

/// Long enough that a worker never drains on its own during a test: only a shutdown or an
/// option change makes it drain.
const HOUR: Duration = Duration::from_secs(3600);
/// How long a test waits for something that should happen; far above what it needs, so a
/// loaded machine does not fail it.
const DEADLINE: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "still waiting for {what}");
        tokio::time::sleep(ms(2)).await;
    }
}

fn eventually_blocking(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "still waiting for {what}");
        std::thread::sleep(ms(2));
    }
}

type Shared<T> = Arc<Mutex<T>>;

fn shared<T: Default>() -> Shared<T> {
    Arc::default()
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4)]
struct Reading {
    #[elastic_queue(partition_key)]
    sensor: u32,
    seq: u64,
}

fn reading(seq: u64) -> Reading {
    // 13 sensors over 4 partitions: every partition gets several keys.
    Reading {
        sensor: (seq % 13) as u32,
        seq,
    }
}

/// One partition: the worker sees every message, in push order.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
struct Job {
    id: u32,
}

fn job_ids(batch: &[Job]) -> Vec<u32> {
    batch.iter().map(|job| job.id).collect()
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: String,
    n: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4, partition_key = Self::device)]
enum Event {
    Alarm { device: u32 },
    Sample(u32, i64),
}

impl Event {
    fn device(&self) -> u32 {
        match self {
            Event::Alarm { device } | Event::Sample(device, _) => *device,
        }
    }
}

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq, Hash)]
#[elastic_queue(partitions = 4, partition_key = self)]
struct Token(u64);

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(version)]
    sampled_at: u64,
    value: i64,
}

fn gauge(name: &str, sampled_at: u64, value: i64) -> Gauge {
    Gauge {
        name: name.to_owned(),
        sampled_at,
        value,
    }
}

/// Checks what a processor over a `ReadingQueue` was given: each batch holds at most
/// `batch_size` readings of one partition, each partition's readings came in push order
/// (for every producer), and every pushed reading came exactly once.
fn check_reading_batches(
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

fn recorder(
    batches: &Shared<Vec<Vec<Reading>>>,
) -> impl Fn(Vec<Reading>) -> Result<(), Infallible> {
    let batches = Arc::clone(batches);
    move |batch| {
        batches.lock().push(batch);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_arrive_in_order_per_partition_within_the_batch_size() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(7)
        .spawn(move |batch| std::future::ready(record(batch)));
    // Pushes spread over several drains, so that order holds across batches and cycles.
    for seq in 0..400 {
        queue.push(reading(seq)).unwrap();
        if seq % 50 == 49 {
            tokio::time::sleep(ms(3)).await;
        }
    }
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 400);
    let batches = batches.lock();
    assert_eq!(report.stats.batches, batches.len() as u64);
    let pushed: Vec<u64> = (0..400).collect();
    check_reading_batches(&queue, &batches, 7, &pushed, |_| 0);
}

/// Pushes `messages` and reports, per batch, the worker that was handed it. A batch's
/// `Failure::partition` is the one public record of the worker that ran it, so every batch
/// is failed straight into the dead letter.
async fn worker_of_each_batch<Q>(
    queue: &Arc<Q>,
    builder: ProcessorBuilder<Q>,
    messages: Vec<Q::Message>,
) -> Vec<(usize, Vec<Q::Message>)>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch<Item = Q::Message>,
    Q::Message: Clone + Send + std::fmt::Debug + 'static,
{
    let count = messages.len() as u64;
    for message in messages {
        assert!(queue.push(message).is_ok());
    }
    let seen = shared::<Vec<(usize, Vec<Q::Message>)>>();
    let handle = builder
        .interval(HOUR)
        .batch_size(3)
        .retries(0)
        .dead_letter({
            let seen = Arc::clone(&seen);
            move |batch: Vec<Q::Message>, failure: Failure<&'static str>| {
                assert_eq!(failure.cause, Cause::Error("observed"));
                seen.lock().push((failure.partition, batch));
            }
        })
        .spawn(|_| async { Err::<(), _>("observed") });
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.dead_lettered, count);
    let seen = std::mem::take(&mut *seen.lock());
    assert!(seen.iter().all(|(_, batch)| batch.len() <= 3));
    assert_eq!(
        seen.iter()
            .map(|(_, batch)| batch.len() as u64)
            .sum::<u64>(),
        count
    );
    let partitions: BTreeSet<usize> = seen.iter().map(|(partition, _)| *partition).collect();
    assert!(
        partitions.len() > 1,
        "every key went to one worker: {seen:?}"
    );
    seen
}

#[tokio::test]
async fn a_key_field_routes_every_message_of_a_key_to_one_worker() {
    let queue = Arc::new(PublishQueue::new().unwrap());
    let messages = (0..60)
        .map(|n| Publish {
            client: format!("client-{}", n % 9),
            n,
        })
        .collect();
    for (worker, batch) in worker_of_each_batch(&queue, queue.processor(), messages).await {
        for message in batch {
            assert_eq!(queue.partition_of(&message.client), worker, "{message:?}");
        }
    }
}

#[tokio::test]
async fn a_key_function_routes_every_message_of_a_key_to_one_worker() {
    let queue = Arc::new(EventQueue::new().unwrap());
    let messages = (0..60u32)
        .map(|n| match n % 2 {
            0 => Event::Alarm { device: n % 11 },
            _ => Event::Sample(n % 11, i64::from(n)),
        })
        .collect();
    for (worker, batch) in worker_of_each_batch(&queue, queue.processor(), messages).await {
        for message in batch {
            assert_eq!(queue.partition_of(&message.device()), worker, "{message:?}");
        }
    }
}

#[tokio::test]
async fn the_whole_message_routes_when_it_is_the_key() {
    let queue = Arc::new(TokenQueue::new().unwrap());
    // Each token twice: equal messages meet in one worker.
    let messages = (0..30).chain(0..30).map(Token).collect();
    let mut worker_of = BTreeMap::new();
    for (worker, batch) in worker_of_each_batch(&queue, queue.processor(), messages).await {
        for token in batch {
            assert_eq!(queue.partition_of(&token), worker, "{token:?}");
            assert_eq!(*worker_of.entry(token.0).or_insert(worker), worker);
        }
    }
    assert_eq!(worker_of.len(), 30);
}

#[tokio::test]
async fn a_failing_batch_is_retried_with_backoff_then_dead_lettered() {
    const POISON: u32 = 2;
    let queue = Arc::new(JobQueue::new().unwrap());
    let poison_tries = shared::<Vec<Instant>>();
    let processed = shared::<Vec<u32>>();
    let dead = shared::<Vec<(Vec<Job>, Failure<String>)>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(1)
        .retries(2)
        .backoff(ms(20))
        .dead_letter({
            let dead = Arc::clone(&dead);
            move |batch: Vec<Job>, failure: Failure<String>| dead.lock().push((batch, failure))
        })
        .spawn({
            let (poison_tries, processed) = (Arc::clone(&poison_tries), Arc::clone(&processed));
            move |batch: Vec<Job>| {
                let result = if batch[0].id == POISON {
                    poison_tries.lock().push(Instant::now());
                    Err(format!("job {POISON} rejected"))
                } else {
                    processed.lock().extend(job_ids(&batch));
                    Ok(())
                };
                async move { result }
            }
        });
    for id in 1..=3 {
        queue.push(Job { id }).unwrap();
    }
    eventually("the poison dead-lettered", || dead.lock().len() == 1).await;
    // The worker goes on with later batches.
    queue.push(Job { id: 4 }).unwrap();
    // Counters move once a call returns, after the recording inside it: wait on them.
    eventually("job 4", || handle.stats().processed == 3).await;
    assert_eq!(*processed.lock(), [1, 3, 4]);

    let (batch, failure) = dead.lock().pop().unwrap();
    assert_eq!(batch, [Job { id: POISON }]);
    assert_eq!(
        failure,
        Failure {
            partition: 0,
            attempts: 3,
            cause: Cause::Error(format!("job {POISON} rejected")),
        }
    );
    let stats = handle.stats();
    assert_eq!((stats.failures, stats.retries), (3, 2));
    assert_eq!((stats.dead_lettered, stats.dropped), (1, 0));
    assert_eq!((stats.processed, stats.batches), (3, 3));
    // Backoff doubles: 20 ms before the first retry, 40 ms before the second (lower bounds
    // only; a slow machine only makes them longer).
    let tries = poison_tries.lock().clone();
    assert_eq!(tries.len(), 3);
    assert!(tries[1] - tries[0] >= ms(20), "{:?}", tries[1] - tries[0]);
    assert!(tries[2] - tries[1] >= ms(40), "{:?}", tries[2] - tries[1]);

    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert!(queue.is_empty());
}

#[tokio::test]
async fn without_a_dead_letter_a_failed_batch_is_dropped_and_counted() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let tries = Arc::new(AtomicUsize::new(0));
    let processed = shared::<Vec<u32>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(2)
        .retries(0)
        .spawn({
            let (tries, processed) = (Arc::clone(&tries), Arc::clone(&processed));
            move |batch: Vec<Job>| {
                tries.fetch_add(1, Ordering::Relaxed);
                let result = if batch.iter().any(|job| job.id == 0) {
                    Err("job 0 rejected")
                } else {
                    processed.lock().extend(job_ids(&batch));
                    Ok(())
                };
                async move { result }
            }
        });
    // One batch of two, with the failing job.
    queue.push_batch([Job { id: 0 }, Job { id: 1 }]).unwrap();
    eventually("the batch dropped", || handle.stats().dropped == 2).await;
    queue.push_batch([Job { id: 2 }, Job { id: 3 }]).unwrap();
    eventually("the next batch", || handle.stats().processed == 2).await;
    assert_eq!(*processed.lock(), [2, 3]);
    // retries(0): tried once, never again.
    assert_eq!(tries.load(Ordering::Relaxed), 2);
    let stats = handle.stats();
    assert_eq!((stats.failures, stats.retries), (1, 0));
    assert_eq!((stats.dropped, stats.dead_lettered), (2, 0));
    assert_eq!((stats.processed, stats.batches), (2, 1));
    assert!(handle.shutdown().await.is_complete());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_processor_is_isolated_whether_it_panics_in_the_call_or_the_future() {
    const SYNC_PANIC: u32 = 10;
    const ASYNC_PANIC: u32 = 20;
    let queue = Arc::new(JobQueue::new().unwrap());
    let processed = shared::<Vec<u32>>();
    let dead = shared::<Vec<(Vec<Job>, Failure<Infallible>)>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(1)
        .retries(1)
        .backoff(ms(1))
        .dead_letter({
            let dead = Arc::clone(&dead);
            move |batch: Vec<Job>, failure: Failure<Infallible>| dead.lock().push((batch, failure))
        })
        .spawn({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Job>| {
                let id = batch[0].id;
                if id == SYNC_PANIC {
                    panic!("sync boom {id}");
                }
                let processed = Arc::clone(&processed);
                async move {
                    tokio::task::yield_now().await;
                    if id == ASYNC_PANIC {
                        panic!("async boom {id}");
                    }
                    processed.lock().push(id);
                    Ok(())
                }
            }
        });
    for id in [1, SYNC_PANIC, 2, ASYNC_PANIC, 3] {
        queue.push(Job { id }).unwrap();
    }
    eventually("both panics dead-lettered", || dead.lock().len() == 2).await;
    // The same worker, and the queue, carry on.
    queue.push(Job { id: 4 }).unwrap();
    eventually("job 4", || handle.stats().processed == 4).await;
    assert_eq!(*processed.lock(), [1, 2, 3, 4]);

    let dead = std::mem::take(&mut *dead.lock());
    assert_eq!(
        dead,
        [
            (
                vec![Job { id: SYNC_PANIC }],
                Failure {
                    partition: 0,
                    attempts: 2,
                    cause: Cause::Panic(format!("sync boom {SYNC_PANIC}")),
                }
            ),
            (
                vec![Job { id: ASYNC_PANIC }],
                Failure {
                    partition: 0,
                    attempts: 2,
                    cause: Cause::Panic(format!("async boom {ASYNC_PANIC}")),
                }
            ),
        ]
    );
    let stats = handle.stats();
    assert_eq!((stats.failures, stats.retries), (4, 2));
    assert_eq!((stats.dead_lettered, stats.dropped), (2, 0));
    assert_eq!(stats.processed, 4);
    assert!(handle.shutdown().await.is_complete());
}

#[test]
fn a_thread_worker_survives_a_panicking_processor_and_dead_letter() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let processed = shared::<Vec<u32>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(1)
        .retries(0)
        // A dead letter that panics too: the batch counts as dropped.
        .dead_letter(|batch: Vec<Job>, failure: Failure<Infallible>| {
            panic!("dead letter boom: {batch:?} {}", failure.cause)
        })
        .spawn_threads({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Job>| {
                if batch[0].id == 0 {
                    panic!("thread boom");
                }
                processed.lock().extend(job_ids(&batch));
                Ok(())
            }
        })
        .unwrap();
    queue.push_batch((0..3).map(|id| Job { id })).unwrap();
    eventually_blocking("jobs 1 and 2", || processed.lock().len() == 2);
    let stats = handle.stats();
    assert_eq!(
        (stats.failures, stats.dropped, stats.dead_lettered),
        (1, 1, 0)
    );
    queue.push(Job { id: 3 }).unwrap();
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(*processed.lock(), [1, 2, 3]);
    assert_eq!(report.stats.processed, 3);
}

#[tokio::test]
async fn shutdown_processes_everything_buffered() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(10)
        .spawn(move |batch| std::future::ready(record(batch)));
    for seq in 0..100 {
        queue.push(reading(seq)).unwrap();
    }
    tokio::time::sleep(ms(20)).await;
    // The interval has not passed: the workers wait.
    assert_eq!(handle.stats().processed, 0);
    assert_eq!(queue.len(), 100);

    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 100);
    assert!(queue.is_empty());
    let pushed: Vec<u64> = (0..100).collect();
    check_reading_batches(&queue, &batches.lock(), 10, &pushed, |_| 0);
}

/// PartitionedBuffer's timeout may be `:infinity`; its port is `Duration::MAX`, a deadline
/// no clock can represent.
#[tokio::test]
async fn an_unbounded_shutdown_timeout_waits_as_long_as_it_takes() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let slow = |_: Vec<Job>| async {
        tokio::time::sleep(ms(10)).await;
        Ok::<(), Infallible>(())
    };
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(2)
        .timeout(Duration::MAX)
        .spawn(slow);
    queue.push_batch((0..6).map(|id| Job { id })).unwrap();
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 6);

    let handle = queue
        .processor()
        .interval(HOUR)
        .spawn_threads(|_: Vec<Job>| {
            std::thread::sleep(ms(10));
            Ok::<(), Infallible>(())
        })
        .unwrap();
    handle
        .update_options(ProcessorOptions::new().timeout(Duration::MAX))
        .unwrap();
    queue.push_batch((0..6).map(|id| Job { id })).unwrap();
    let report = tokio::task::spawn_blocking(move || handle.shutdown())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 6);
}

#[tokio::test]
async fn dropping_the_handle_processes_what_is_queued_in_the_background() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(5)
        .spawn(move |batch| std::future::ready(record(batch)));
    for seq in 0..40 {
        queue.push(reading(seq)).unwrap();
    }
    drop(handle);
    eventually("the background drain", || {
        batches.lock().iter().map(Vec::len).sum::<usize>() == 40
    })
    .await;
    // Every worker exits once drained, letting go of the queue.
    eventually("the workers to exit", || Arc::strong_count(&queue) == 1).await;
    let pushed: Vec<u64> = (0..40).collect();
    check_reading_batches(&queue, &batches.lock(), 5, &pushed, |_| 0);
}

#[tokio::test]
async fn a_shutdown_timeout_hands_back_the_batch_in_flight() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let started = Arc::new(AtomicUsize::new(0));
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(3)
        .timeout(ms(200))
        .spawn({
            let started = Arc::clone(&started);
            move |_: Vec<Job>| {
                started.fetch_add(1, Ordering::Relaxed);
                // Hangs forever: only the timeout ends it.
                std::future::pending::<Result<(), Infallible>>()
            }
        });
    queue.push_batch((0..10).map(|id| Job { id })).unwrap();
    let report = handle.shutdown().await;
    assert!(report.timed_out);
    assert!(!report.is_complete());
    assert_eq!(
        report.unprocessed,
        [Job { id: 0 }, Job { id: 1 }, Job { id: 2 }]
    );
    assert_eq!(report.remaining, 7);
    assert_eq!(report.in_progress, 0);
    assert_eq!(report.stats.processed, 0);
    assert_eq!(started.load(Ordering::Relaxed), 1);
    // The cut-off task let go of the queue, which keeps the rest in order.
    assert_eq!(Arc::strong_count(&queue), 1);
    assert_eq!(queue.len(), 7);
    assert_eq!(queue.pop(), Some(Job { id: 3 }));
}

#[test]
fn a_thread_shutdown_timeout_leaves_the_busy_worker_to_finish() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let gate = Arc::new(Mutex::new(()));
    let done = Arc::new(AtomicUsize::new(0));
    let closed = gate.lock();
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(3)
        .timeout(ms(100))
        .spawn_threads({
            let (gate, done) = (Arc::clone(&gate), Arc::clone(&done));
            move |batch: Vec<Job>| {
                drop(gate.lock());
                done.fetch_add(batch.len(), Ordering::Relaxed);
                Ok::<(), Infallible>(())
            }
        })
        .unwrap();
    queue.push_batch((0..10).map(|id| Job { id })).unwrap();
    let report = handle.shutdown();
    assert!(report.timed_out);
    assert!(!report.is_complete());
    // A thread cannot be cut off: its batch stays with it, counted, not handed back.
    assert_eq!(report.in_progress, 3);
    assert!(report.unprocessed.is_empty());
    assert_eq!(report.remaining, 7);
    drop(closed);
    // Released, the worker finishes its shutdown drain in the background.
    eventually_blocking("the background drain", || {
        done.load(Ordering::Relaxed) == 10 && queue.is_empty()
    });
}

#[tokio::test]
async fn update_options_changes_running_workers_and_rejects_invalid_values() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let batches = shared::<Vec<Vec<u32>>>();
    let handle = queue.processor().interval(HOUR).batch_size(10).spawn({
        let batches = Arc::clone(&batches);
        move |batch: Vec<Job>| {
            batches.lock().push(job_ids(&batch));
            async { Ok::<(), Infallible>(()) }
        }
    });
    queue.push(Job { id: 1 }).unwrap();
    tokio::time::sleep(ms(20)).await;
    assert!(batches.lock().is_empty(), "drained before the hour");

    // A worker waiting out the hour drains at once on the shorter interval.
    handle
        .update_options(ProcessorOptions::new().interval(ms(10)))
        .unwrap();
    assert_eq!(handle.settings().interval, ms(10));
    eventually("the batch on the new interval", || {
        !batches.lock().is_empty()
    })
    .await;
    assert_eq!(*batches.lock(), [vec![1]]);

    let before = handle.settings();
    let invalid = [
        (ProcessorOptions::new().interval(Duration::ZERO), "interval"),
        (ProcessorOptions::new().batch_size(0), "batch_size"),
        // A valid change beside an invalid one is not applied either.
        (
            ProcessorOptions::new()
                .batch_size(5)
                .interval(Duration::ZERO),
            "interval",
        ),
    ];
    for (options, name) in invalid {
        match handle.update_options(options) {
            Err(error @ ProcessorError::InvalidOption { option, .. }) => {
                assert_eq!(option, name);
                assert!(error.to_string().contains(name), "{error}");
            }
            other => panic!("{options:?} gave {other:?}"),
        }
        assert_eq!(handle.settings(), before);
    }

    handle
        .update_options(
            ProcessorOptions::new()
                .batch_size(2)
                .timeout(Duration::from_secs(5)),
        )
        .unwrap();
    let settings = handle.settings();
    assert_eq!(
        (settings.interval, settings.batch_size, settings.timeout),
        (ms(10), 2, Duration::from_secs(5))
    );
    queue.push_batch((2..=6).map(|id| Job { id })).unwrap();
    eventually("jobs 2 to 6", || {
        batches.lock().iter().flatten().any(|id| *id == 6)
    })
    .await;
    let batches = batches.lock().clone();
    assert!(
        batches[1..].iter().all(|batch| batch.len() <= 2),
        "{batches:?}"
    );
    assert_eq!(batches.concat(), [1, 2, 3, 4, 5, 6]);
    assert!(handle.shutdown().await.is_complete());
}

/// Four threads push `per_producer` readings each; returns every seq pushed. Producer `p`
/// pushes seqs `p * per_producer ..`, so a seq names its producer.
fn produce(queue: &Arc<ReadingQueue>, per_producer: u64) -> Vec<u64> {
    let producers: Vec<_> = (0..4)
        .map(|producer| {
            let queue = Arc::clone(queue);
            std::thread::spawn(move || {
                for seq in producer * per_producer..(producer + 1) * per_producer {
                    queue.push(reading(seq)).unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    (0..4 * per_producer).collect()
}

const PER_PRODUCER: u64 = 2500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_producers_every_message_processed_exactly_once_on_tasks() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(ms(1))
        .batch_size(16)
        .spawn(move |batch| std::future::ready(record(batch)));
    let pushed = tokio::task::spawn_blocking({
        let queue = Arc::clone(&queue);
        move || produce(&queue, PER_PRODUCER)
    })
    .await
    .unwrap();
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 4 * PER_PRODUCER);
    check_reading_batches(&queue, &batches.lock(), 16, &pushed, |seq| {
        seq / PER_PRODUCER
    });
}

#[test]
fn concurrent_producers_every_message_processed_exactly_once_on_threads() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let handle = queue
        .processor()
        .interval(ms(1))
        .batch_size(16)
        .spawn_threads(recorder(&batches))
        .unwrap();
    let pushed = produce(&queue, PER_PRODUCER);
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 4 * PER_PRODUCER);
    check_reading_batches(&queue, &batches.lock(), 16, &pushed, |seq| {
        seq / PER_PRODUCER
    });
}

#[tokio::test]
async fn map_mode_hands_entries_with_their_overwrites() {
    let gauges = Arc::new(GaugeQueue::new().unwrap());
    let entries = shared::<Vec<Entry<Gauge>>>();
    let handle = gauges.processor().interval(HOUR).spawn({
        let entries = Arc::clone(&entries);
        move |batch: Vec<Entry<Gauge>>| {
            entries.lock().extend(batch);
            async { Ok::<(), Infallible>(()) }
        }
    });
    assert_eq!(gauges.put(gauge("cpu", 1, 10)), Ok(Put::Inserted));
    assert_eq!(
        gauges.put(gauge("cpu", 2, 20)),
        Ok(Put::Replaced(gauge("cpu", 1, 10)))
    );
    assert_eq!(
        gauges.put(gauge("cpu", 3, 30)),
        Ok(Put::Replaced(gauge("cpu", 2, 20)))
    );
    gauges.put(gauge("mem", 1, 7)).unwrap();
    gauges.put(gauge("disk", 5, 50)).unwrap();
    // An older version is stale: not an overwrite.
    assert_eq!(
        gauges.put(gauge("disk", 4, 40)),
        Ok(Put::Stale(gauge("disk", 4, 40)))
    );
    handle
        .update_options(ProcessorOptions::new().interval(ms(5)))
        .unwrap();
    eventually("three entries", || entries.lock().len() == 3).await;
    let by_name = |entries: &[Entry<Gauge>], name: &str| {
        entries
            .iter()
            .find(|entry| entry.message.name == name)
            .cloned()
    };
    let first = entries.lock().clone();
    assert_eq!(
        by_name(&first, "cpu"),
        Some(Entry {
            message: gauge("cpu", 3, 30),
            overwrites: 2
        })
    );
    assert_eq!(
        by_name(&first, "mem").map(|entry| entry.overwrites),
        Some(0)
    );
    assert_eq!(
        by_name(&first, "disk"),
        Some(Entry {
            message: gauge("disk", 5, 50),
            overwrites: 0
        })
    );

    // Once taken, a key starts over: the next entry counts only its own overwrites.
    gauges.put(gauge("cpu", 4, 40)).unwrap();
    gauges.put(gauge("cpu", 5, 50)).unwrap();
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    let entries = entries.lock();
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert_eq!(
        entries[3],
        Entry {
            message: gauge("cpu", 5, 50),
            overwrites: 1
        }
    );
    assert_eq!(report.stats.processed, 4);
}

#[test]
fn thread_workers_follow_option_changes_and_drain_on_shutdown() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(4)
        .spawn_threads(recorder(&batches))
        .unwrap();
    assert_eq!(handle.settings().batch_size, 4);
    for seq in 0..3 {
        queue.push(reading(seq)).unwrap();
    }
    std::thread::sleep(ms(20));
    assert_eq!(handle.stats().processed, 0, "drained before the hour");

    handle
        .update_options(ProcessorOptions::new().interval(ms(5)))
        .unwrap();
    eventually_blocking("the readings on the new interval", || {
        handle.stats().processed == 3
    });

    let before = handle.settings();
    assert!(matches!(
        handle.update_options(ProcessorOptions::new().interval(Duration::ZERO)),
        Err(ProcessorError::InvalidOption {
            option: "interval",
            ..
        })
    ));
    assert!(matches!(
        handle.update_options(ProcessorOptions::new().batch_size(0)),
        Err(ProcessorError::InvalidOption {
            option: "batch_size",
            ..
        })
    ));
    assert_eq!(handle.settings(), before);

    // Back to an hour: what is pushed now waits for the shutdown, which processes it.
    handle
        .update_options(ProcessorOptions::new().interval(HOUR))
        .unwrap();
    for seq in 3..53 {
        queue.push(reading(seq)).unwrap();
    }
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 53);
    let pushed: Vec<u64> = (0..53).collect();
    check_reading_batches(&queue, &batches.lock(), 4, &pushed, |_| 0);
}

#[test]
fn spawning_needs_a_runtime_and_valid_options() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let ok = |_: Vec<Job>| async { Ok::<(), Infallible>(()) };
    assert_eq!(
        queue.processor().try_spawn(ok).err(),
        Some(ProcessorError::NoRuntime)
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(queue.processor().spawn(ok))
    }))
    .expect_err("spawn outside a runtime panics");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("no tokio runtime"), "{message}");

    // The thread variant needs no runtime, but checks its options too.
    assert!(matches!(
        queue
            .processor()
            .interval(Duration::ZERO)
            .spawn_threads(|_: Vec<Job>| Ok::<(), Infallible>(())),
        Err(ProcessorError::InvalidOption {
            option: "interval",
            ..
        })
    ));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(matches!(
            queue.processor().batch_size(0).try_spawn(ok),
            Err(ProcessorError::InvalidOption {
                option: "batch_size",
                ..
            })
        ));
        // The refusals left the queue free for a valid processor.
        queue.push(Job { id: 1 }).unwrap();
        let report = queue.processor().try_spawn(ok).unwrap().shutdown().await;
        assert_eq!(report.stats.processed, 1);
    });

    // Workers sleep between drains: a runtime without its timer is refused up front rather
    // than leaving workers that panic at their first tick.
    let no_timer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    no_timer.block_on(async {
        assert_eq!(
            queue.processor().try_spawn(ok).err(),
            Some(ProcessorError::NoTimer)
        );
    });
}
