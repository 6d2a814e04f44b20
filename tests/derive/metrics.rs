//! `metrics = "label"`: every series a labelled generated queue reports, read back from
//! metrics-util's debugging recorder after known sequences of operations. Each queue is built
//! inside `with_local_recorder`, so its handles belong to that test's recorder alone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use elasticq::metrics::{names, SAMPLE_EVERY};
use elasticq::{ElasticQueue, Priority};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
enum QoS {
    AtMostOnce,
    AtLeastOnce,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    partitions = 2,
    capacity(initial = 2, min = 2, max = 4),
    metrics = "publish"
)]
struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(metrics = "jobs", capacity(initial = 1024))]
struct Job {
    id: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write), metrics = "orders")]
struct Order {
    id: u64,
}

#[elasticq::queue(message = Job, engine = lock_free, metrics = "audit")]
struct AuditQueue;

/// A series' name and its labels, sorted.
type SeriesKey = (String, Vec<(String, String)>);

fn read(snapshotter: &Snapshotter) -> BTreeMap<SeriesKey, DebugValue> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect();
            labels.sort();
            ((key.name().to_owned(), labels), value)
        })
        .collect()
}

fn key(name: &str, labels: &[(&str, &str)]) -> SeriesKey {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    labels.sort();
    (name.to_owned(), labels)
}

fn counter(series: &BTreeMap<SeriesKey, DebugValue>, name: &str, labels: &[(&str, &str)]) -> u64 {
    match series.get(&key(name, labels)) {
        Some(DebugValue::Counter(value)) => *value,
        other => panic!("{name} {labels:?}: {other:?}"),
    }
}

fn gauge(series: &BTreeMap<SeriesKey, DebugValue>, name: &str, labels: &[(&str, &str)]) -> f64 {
    match series.get(&key(name, labels)) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("{name} {labels:?}: {other:?}"),
    }
}

fn samples(series: &BTreeMap<SeriesKey, DebugValue>, name: &str, labels: &[(&str, &str)]) -> usize {
    match series.get(&key(name, labels)) {
        Some(DebugValue::Histogram(values)) => values.len(),
        other => panic!("{name} {labels:?}: {other:?}"),
    }
}

#[test]
fn queue_partition_and_priority_series_are_exact() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = metrics::with_local_recorder(&recorder, || PublishQueue::new().unwrap());
    let client = |partition: usize| (0..).find(|c| queue.partition_of(c) == partition).unwrap();
    let (zero, one) = (client(0), client(1));
    // Partition 0's high level: 5 pushes at a maximum of 4 (one growth, one refusal).
    for _ in 0..5 {
        let _ = queue.push(Publish {
            qos: QoS::AtLeastOnce,
            client: zero,
        });
    }
    queue
        .push(Publish {
            qos: QoS::AtMostOnce,
            client: one,
        })
        .unwrap();
    assert!(queue.pop_from(0).is_some());
    queue.publish_metrics();

    let series = read(&snapshotter);
    let q = [("queue", "publish")];
    assert_eq!(counter(&series, names::ENQUEUED, &q), 5);
    assert_eq!(counter(&series, names::DEQUEUED, &q), 1);
    let full = [("queue", "publish"), ("reason", "full")];
    assert_eq!(counter(&series, names::REJECTED, &full), 1);
    let closed = [("queue", "publish"), ("reason", "closed")];
    assert_eq!(counter(&series, names::REJECTED, &closed), 0);
    assert_eq!(counter(&series, names::RESIZES, &q), 1);
    assert_eq!(gauge(&series, names::DEPTH, &q), 4.0);
    let stats = queue.stats();
    assert_eq!(gauge(&series, names::CAPACITY, &q), stats.capacity as f64);
    // 2 partitions of 2 levels, each at most 4.
    assert_eq!(gauge(&series, names::MAX_CAPACITY, &q), 16.0);

    let by_partition = |name| names::per_partition(name);
    let p0 = [("queue", "publish"), ("partition", "0")];
    let p1 = [("queue", "publish"), ("partition", "1")];
    let p0_full = [("queue", "publish"), ("partition", "0"), ("reason", "full")];
    assert_eq!(counter(&series, &by_partition(names::ENQUEUED), &p0), 4);
    assert_eq!(
        counter(&series, &by_partition(names::REJECTED), &p0_full),
        1
    );
    assert_eq!(counter(&series, &by_partition(names::DEQUEUED), &p0), 1);
    assert_eq!(gauge(&series, &by_partition(names::DEPTH), &p0), 3.0);
    assert_eq!(counter(&series, &by_partition(names::ENQUEUED), &p1), 1);
    assert_eq!(gauge(&series, &by_partition(names::DEPTH), &p1), 1.0);
    assert_eq!(
        gauge(&series, &by_partition(names::CAPACITY), &p0),
        stats.partitions[0].capacity as f64
    );
    assert_eq!(gauge(&series, &by_partition(names::MAX_CAPACITY), &p0), 8.0);

    // The levels are labelled by the `QoS` variants' names.
    let by_level = |name| names::per_priority(name);
    let low = [("queue", "publish"), ("priority", "AtMostOnce")];
    let high = [("queue", "publish"), ("priority", "AtLeastOnce")];
    assert_eq!(counter(&series, &by_level(names::ENQUEUED), &low), 1);
    assert_eq!(counter(&series, &by_level(names::ENQUEUED), &high), 4);
    assert_eq!(counter(&series, &by_level(names::DEQUEUED), &high), 1);
    assert_eq!(gauge(&series, &by_level(names::DEPTH), &high), 3.0);
    assert_eq!(counter(&series, &by_level(names::RESIZES), &high), 1);

    // Each breakdown counts each message once: summed, it is the queue's count.
    for name in [
        names::ENQUEUED.to_owned(),
        by_partition(names::ENQUEUED),
        by_level(names::ENQUEUED),
    ] {
        let sum: u64 = series
            .iter()
            .filter(|((present, _), _)| *present == name)
            .map(|(_, value)| match value {
                DebugValue::Counter(n) => *n,
                other => panic!("{name}: {other:?}"),
            })
            .sum();
        assert_eq!(sum, 5, "{name}");
    }

    queue.close();
    let _ = queue.push(Publish {
        qos: QoS::AtMostOnce,
        client: one,
    });
    queue.publish_metrics();
    let series = read(&snapshotter);
    assert_eq!(counter(&series, names::REJECTED, &closed), 1);
    assert_eq!(counter(&series, names::REJECTED, &full), 1);
}

#[test]
fn time_in_queue_follows_a_sampled_push_of_the_generated_api() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = Arc::new(metrics::with_local_recorder(&recorder, || {
        PublishQueue::builder().max_capacity(1024).build().unwrap()
    }));
    let pusher = Arc::clone(&queue);
    // A fresh thread: its SAMPLE_EVERY-th push is the sampled one.
    std::thread::spawn(move || {
        for client in 0..SAMPLE_EVERY {
            let qos = if client % 2 == 0 {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            };
            pusher.push(Publish { qos, client }).unwrap();
        }
    })
    .join()
    .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    while queue.pop().is_some() {}
    let series = read(&snapshotter);
    let waited = match series.get(&key(names::TIME_IN_QUEUE, &[("queue", "publish")])) {
        Some(DebugValue::Histogram(values)) => values.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(waited.len(), 1, "{waited:?}");
    assert!(waited[0].into_inner() >= 0.005, "{waited:?}");
}

#[test]
fn pushes_and_pops_are_timed_one_in_sample_every() {
    // A fresh thread starts its sampling count at zero.
    std::thread::spawn(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let (jobs, audit) = metrics::with_local_recorder(&recorder, || {
            (JobQueue::new().unwrap(), AuditQueue::new().unwrap())
        });
        for id in 0..SAMPLE_EVERY {
            jobs.push(Job { id }).unwrap();
        }
        for _ in 0..SAMPLE_EVERY {
            jobs.pop().unwrap();
        }
        for id in 0..SAMPLE_EVERY {
            audit.push(Job { id }).unwrap();
        }
        let series = read(&snapshotter);
        let jobs_op = |op| {
            samples(
                &series,
                names::OPERATION_DURATION,
                &[("queue", "jobs"), ("op", op)],
            )
        };
        assert_eq!((jobs_op("push"), jobs_op("pop")), (1, 1));
        let audit_push = samples(
            &series,
            names::OPERATION_DURATION,
            &[("queue", "audit"), ("op", "push")],
        );
        assert_eq!(audit_push, 1);
    })
    .join()
    .unwrap();
}

#[test]
fn dropping_a_queue_publishes_its_last_values() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let jobs = metrics::with_local_recorder(&recorder, || JobQueue::new().unwrap());
    jobs.push_batch((0..7).map(|id| Job { id })).unwrap();
    jobs.pop_batch(3);
    drop(jobs);
    let series = read(&snapshotter);
    let q = [("queue", "jobs")];
    assert_eq!(counter(&series, names::ENQUEUED, &q), 7);
    assert_eq!(counter(&series, names::DEQUEUED, &q), 3);
    assert_eq!(gauge(&series, names::DEPTH, &q), 4.0);
}

#[test]
fn the_processor_reports_batches_failures_and_durations() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let jobs = Arc::new(metrics::with_local_recorder(&recorder, || {
        JobQueue::new().unwrap()
    }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        let handle = jobs
            .processor()
            .interval(Duration::from_secs(3600))
            .batch_size(4)
            .retries(1)
            .backoff(Duration::from_millis(1))
            .spawn(|batch: Vec<Job>| async move {
                // The batch holding job 0 fails both tries; the others succeed.
                if batch.iter().any(|job| job.id == 0) {
                    Err("rejected")
                } else {
                    Ok(())
                }
            });
        jobs.push_batch((0..10).map(|id| Job { id })).unwrap();
        handle.shutdown().await
    });
    assert_eq!(report.stats.batches, 2);
    // The failing batch (jobs 0 to 3) was tried twice, then dropped (no dead letter).
    assert_eq!((report.stats.retries, report.stats.dropped), (1, 4));
    let series = read(&snapshotter);
    let q = [("queue", "jobs")];
    assert_eq!(counter(&series, names::BATCHES_PROCESSED, &q), 2);
    assert_eq!(counter(&series, names::PROCESSING_FAILURES, &q), 2);
    assert_eq!(counter(&series, names::PROCESSING_RETRIES, &q), 1);
    assert_eq!(counter(&series, names::PROCESSING_DROPPED, &q), 4);
    assert_eq!(counter(&series, names::DEAD_LETTERED, &q), 0);
    assert_eq!(counter(&series, names::ACK_FAILURES, &q), 0);
    assert_eq!(samples(&series, names::PROCESSING_DURATION, &q), 2);
}

#[test]
fn a_persisted_queue_reports_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let orders = metrics::with_local_recorder(&recorder, || OrderQueue::open(dir.path()).unwrap());
    for id in 0..3 {
        orders.push(Order { id }).unwrap();
    }
    orders.pop().unwrap();
    let held = orders.pop_delivery().unwrap(); // delivered, not acknowledged
    orders.publish_metrics();
    let log = orders.persist_stats();
    let series = read(&snapshotter);
    let q = [("queue", "orders")];
    assert_eq!(
        counter(&series, names::WAL_BYTES_WRITTEN, &q),
        log.bytes_written
    );
    assert_eq!(counter(&series, names::WAL_FSYNCS, &q), log.fsyncs);
    assert!(log.fsyncs >= 3, "every_write syncs each push");
    assert_eq!(counter(&series, names::ENQUEUED, &q), 3);
    assert_eq!(counter(&series, names::DEQUEUED, &q), 2);
    assert_eq!(gauge(&series, names::DEPTH, &q), 1.0);
    assert_eq!(gauge(&series, names::UNACKED, &q), 1.0);
    assert_eq!(
        gauge(&series, names::WAL_DISK_BYTES, &q),
        log.disk_bytes as f64
    );
    held.ack().unwrap();
    orders.publish_metrics();
    let series = read(&snapshotter);
    assert_eq!(gauge(&series, names::UNACKED, &q), 0.0);
}

/// A generic message with a label: the queue is generic the same way.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(metrics = "envelopes")]
struct Envelope<T> {
    body: T,
}

#[test]
fn a_generic_labelled_queue_reports_per_instantiation() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let envelopes =
        metrics::with_local_recorder(&recorder, || EnvelopeQueue::<String>::new().unwrap());
    envelopes
        .push(Envelope {
            body: "hello".to_owned(),
        })
        .unwrap();
    envelopes.publish_metrics();
    let series = read(&snapshotter);
    assert_eq!(
        counter(&series, names::ENQUEUED, &[("queue", "envelopes")]),
        1
    );
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none), metrics = "notes")]
struct Note {
    id: u32,
}

#[test]
fn a_persisted_queue_times_its_pushes_and_only_it_has_log_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    std::thread::spawn(move || {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let (notes, jobs) = metrics::with_local_recorder(&recorder, || {
            (NoteQueue::open(&path).unwrap(), JobQueue::new().unwrap())
        });
        for id in 0..SAMPLE_EVERY {
            notes.push(Note { id }).unwrap();
        }
        jobs.publish_metrics();
        let series = read(&snapshotter);
        let pushes = samples(
            &series,
            names::OPERATION_DURATION,
            &[("queue", "notes"), ("op", "push")],
        );
        assert_eq!(pushes, 1);
        let wal = key(names::WAL_FSYNCS, &[("queue", "jobs")]);
        assert!(
            !series.contains_key(&wal),
            "a queue without a log has no log series"
        );
        assert!(series.contains_key(&key(names::WAL_FSYNCS, &[("queue", "notes")])));
    })
    .join()
    .unwrap();
}
