//! The series an instrumented engine reports, read back from metrics-util's debugging
//! recorder after known sequences of operations.

use std::collections::BTreeMap;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

use super::{names, Instrumented, SAMPLE_EVERY};
use crate::config::Config;
use crate::engine::{Engine, LockFreeQueue, LockedQueue};
use crate::layer::{Partitioned, PriorityLevels};

/// A series' name and its labels, sorted.
type SeriesKey = (String, Vec<(String, String)>);
/// Every series recorded, by name and labels.
type Series = BTreeMap<SeriesKey, DebugValue>;

/// Every series as (name, sorted labels) -> value.
fn read(snapshotter: &Snapshotter) -> Series {
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

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    labels.sort();
    labels
}

fn counter(series: &Series, name: &str, at: &[(&str, &str)]) -> u64 {
    match series.get(&(name.to_owned(), labels(at))) {
        Some(DebugValue::Counter(value)) => *value,
        other => panic!("{name} {at:?}: {other:?}"),
    }
}

fn gauge(series: &Series, name: &str, at: &[(&str, &str)]) -> f64 {
    match series.get(&(name.to_owned(), labels(at))) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("{name} {at:?}: {other:?}"),
    }
}

#[test]
fn counters_and_gauges_follow_the_engine_exactly() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let config = Config::new()
        .initial_capacity(2)
        .min_capacity(2)
        .max_capacity(4);
    let queue = metrics::with_local_recorder(&recorder, || {
        Instrumented::new(LockedQueue::<u32>::new(config).unwrap(), "orders")
    });
    for n in 0..5 {
        let _ = queue.push(n); // the fifth is refused at the maximum
    }
    queue.pop();
    queue.publish_metrics();
    let series = read(&snapshotter);
    let at = [("queue", "orders")];
    assert_eq!(counter(&series, names::ENQUEUED, &at), 4);
    assert_eq!(counter(&series, names::DEQUEUED, &at), 1);
    assert_eq!(rejected(&series, &at), [1, 0, 0, 0], "full");
    assert_eq!(counter(&series, names::RESIZES, &at), 1, "grew from 2 to 4");
    assert_eq!(gauge(&series, names::DEPTH, &at), 3.0);
    assert_eq!(gauge(&series, names::CAPACITY, &at), 4.0);
    assert_eq!(gauge(&series, names::MAX_CAPACITY, &at), 4.0);

    queue.drain();
    queue.close();
    let _ = queue.push(9); // refused: closed
    let _ = queue.push_batch([10, 11]); // both refused: closed
    drop(queue); // publishes its last values
    let series = read(&snapshotter);
    assert_eq!(counter(&series, names::DEQUEUED, &at), 4);
    assert_eq!(gauge(&series, names::DEPTH, &at), 0.0);
    assert_eq!(rejected(&series, &at), [1, 3, 0, 0], "full, then closed");
}

/// The `rejected` counters at `at`, by reason (in the order of `names::REASONS`).
fn rejected(series: &Series, at: &[(&str, &str)]) -> [u64; 4] {
    rejected_as(series, names::REJECTED, at)
}

fn rejected_as(series: &Series, name: &str, at: &[(&str, &str)]) -> [u64; 4] {
    names::REASONS.map(|reason| {
        let mut with_reason = at.to_vec();
        with_reason.push(("reason", reason));
        counter(series, name, &with_reason)
    })
}

#[test]
fn partitions_and_levels_have_their_own_series() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let config = Config::new().partitions(2);
    let queue = metrics::with_local_recorder(&recorder, || {
        let partitioned: Partitioned<Reading, LockFreeQueue<Reading>> =
            Partitioned::with_config(config).unwrap();
        Instrumented::new(partitioned, "telemetry")
    });
    for sensor in 0..10 {
        queue.push(Reading { sensor }).unwrap();
    }
    queue.publish_metrics();
    let series = read(&snapshotter);
    let per_partition: Vec<u64> = (0..2)
        .map(|p| {
            let p = p.to_string();
            counter(
                &series,
                &names::per_partition(names::ENQUEUED),
                &[("queue", "telemetry"), ("partition", &p)],
            )
        })
        .collect();
    let stats = queue.stats();
    assert_eq!(
        per_partition,
        stats
            .partitions
            .iter()
            .map(|s| s.enqueued)
            .collect::<Vec<_>>()
    );
    assert_eq!(per_partition.iter().sum::<u64>(), 10);
    assert_eq!(
        counter(&series, names::ENQUEUED, &[("queue", "telemetry")]),
        10
    );

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let jobs = metrics::with_local_recorder(&recorder, || {
        let levels: PriorityLevels<Job, LockedQueue<Job>> =
            PriorityLevels::with_config(Config::new()).unwrap();
        Instrumented::new(levels, "jobs")
    });
    for urgency in [0, 2, 2, 9] {
        let _ = jobs.push(Job { urgency }); // 9 is out of range: refused
    }
    jobs.pop(); // the highest level first
    jobs.publish_metrics();
    let series = read(&snapshotter);
    let level = |name: &str, level: &str| {
        counter(
            &series,
            &names::per_priority(name),
            &[("queue", "jobs"), ("priority", level)],
        )
    };
    assert_eq!(
        [
            level(names::ENQUEUED, "0"),
            level(names::ENQUEUED, "1"),
            level(names::ENQUEUED, "2")
        ],
        [1, 0, 2]
    );
    assert_eq!(
        [level(names::DEQUEUED, "0"), level(names::DEQUEUED, "2")],
        [0, 1]
    );
    assert_eq!(
        gauge(
            &series,
            &names::per_priority(names::DEPTH),
            &[("queue", "jobs"), ("priority", "2")]
        ),
        1.0
    );
    assert_eq!(
        rejected(&series, &[("queue", "jobs")]),
        [0, 0, 1, 0],
        "invalid priority"
    );
    // 3 levels of the default maximum each.
    let max = Config::new().get_max_capacity() as f64;
    assert_eq!(
        gauge(&series, names::MAX_CAPACITY, &[("queue", "jobs")]),
        3.0 * max
    );
}

#[derive(Debug, PartialEq)]
struct Reading {
    sensor: u32,
}

impl crate::message::Message for Reading {
    type Queue = ();
    type Lanes<E: crate::layer::Lane<Self>> = E;
    const NAME: &'static str = "Reading";
    fn route(&self) -> Option<u64> {
        Some(crate::engine::stable_hash(&self.sensor))
    }
}

#[derive(Debug, PartialEq)]
struct Job {
    urgency: u8,
}

impl crate::message::Message for Job {
    type Queue = ();
    type Lanes<E: crate::layer::Lane<Self>> = PriorityLevels<Self, E>;
    const NAME: &'static str = "Job";
}

impl crate::message::Prioritized for Job {
    type Level = u8;
    const LEVELS: usize = 3;
    fn priority(&self) -> Option<usize> {
        Self::level_index(&self.urgency)
    }
    fn level_index(level: &u8) -> Option<usize> {
        (usize::from(*level) < 3).then_some(usize::from(*level))
    }
}

#[test]
fn one_operation_in_sample_every_is_timed() {
    // A fresh thread starts its sampling count at zero.
    std::thread::spawn(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let queue = metrics::with_local_recorder(&recorder, || {
            Instrumented::new(LockFreeQueue::<u32>::new(Config::new()).unwrap(), "sampled")
        });
        let ops = SAMPLE_EVERY * 4;
        for n in 0..ops / 2 {
            queue.push(n).unwrap();
        }
        for _ in 0..ops / 2 {
            queue.pop().unwrap();
        }
        let series = read(&snapshotter);
        let samples = |op: &str| match series.get(&(
            names::OPERATION_DURATION.to_owned(),
            labels(&[("queue", "sampled"), ("op", op)]),
        )) {
            Some(DebugValue::Histogram(values)) => values.len(),
            other => panic!("{op}: {other:?}"),
        };
        assert_eq!(samples("push") + samples("pop"), 4);
        assert_eq!(samples("push"), 2);
    })
    .join()
    .unwrap();
}

#[test]
fn evictions_and_queued_weight_are_exported() {
    use crate::config::Overflow;
    use crate::engine::Hooks;
    use crate::layer::Lane;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let config = Config::new()
        .initial_capacity(2)
        .max_capacity(2)
        .max_bytes(100)
        .overflow(Overflow::DropOldest);
    let queue = metrics::with_local_recorder(&recorder, || {
        let mut lane = LockedQueue::<String>::new(config).unwrap();
        Lane::set_hooks(&mut lane, &Hooks::new().weight(String::len));
        Instrumented::new(lane, "ring")
    });
    for word in ["one", "three", "fifteen"] {
        queue.push(word.to_owned()).unwrap(); // the third evicts "one"
    }
    queue.publish_metrics();
    let series = read(&snapshotter);
    let at = [("queue", "ring")];
    assert_eq!(counter(&series, names::DROPPED, &at), 1);
    assert_eq!(counter(&series, names::ENQUEUED, &at), 3);
    assert_eq!(counter(&series, names::REDELIVERED, &at), 0);
    assert_eq!(gauge(&series, names::BYTES, &at), 12.0, "three + fifteen");
    assert_eq!(gauge(&series, names::DEPTH, &at), 2.0);
}

/// A message with a key (2 partitions) and a named priority (3 levels).
#[derive(Debug, PartialEq)]
struct Task {
    key: u32,
    urgency: u8,
}

impl crate::message::Message for Task {
    type Queue = ();
    type Lanes<E: crate::layer::Lane<Self>> = PriorityLevels<Self, E>;
    const NAME: &'static str = "Task";
    fn route(&self) -> Option<u64> {
        Some(crate::engine::stable_hash(&self.key))
    }
}

impl crate::message::Prioritized for Task {
    type Level = u8;
    const LEVELS: usize = 3;
    const LEVEL_NAMES: &'static [&'static str] = &["low", "normal", "high"];
    fn priority(&self) -> Option<usize> {
        Self::level_index(&self.urgency)
    }
    fn level_index(level: &u8) -> Option<usize> {
        (usize::from(*level) < 3).then_some(usize::from(*level))
    }
}

/// Every label set's value of `name`, summed.
fn sum(series: &Series, name: &str) -> f64 {
    series
        .iter()
        .filter(|((present, _), _)| present == name)
        .map(|(_, value)| match value {
            DebugValue::Counter(value) => *value as f64,
            DebugValue::Gauge(value) => value.into_inner(),
            DebugValue::Histogram(_) => panic!("{name} is a histogram"),
        })
        .sum()
}

#[test]
fn summing_a_series_over_its_labels_counts_each_message_once() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = metrics::with_local_recorder(&recorder, || {
        let lanes: Partitioned<Task, PriorityLevels<Task, LockedQueue<Task>>> =
            Partitioned::with_config(Config::new().partitions(2)).unwrap();
        Instrumented::new(lanes, "tasks")
    });
    let mut accepted = 0u64;
    for n in 0..30u32 {
        // Two in ten (n % 10 of 3 and 7) have urgency 3, outside the levels: refused.
        let urgency = (n % 10) as u8 % 4;
        if queue.push(Task { key: n, urgency }).is_ok() {
            accepted += 1;
        }
    }
    for _ in 0..7 {
        queue.pop().unwrap();
    }
    queue.close();
    let _ = queue.push(Task { key: 0, urgency: 0 });
    queue.publish_metrics();
    let series = read(&snapshotter);
    let stats = queue.stats();
    assert_eq!(stats.enqueued, accepted);
    assert_eq!(stats.rejected, 30 - accepted + 1);

    // The queue-wide series, the per-partition ones and the per-level ones each count every
    // message once: summed over all their labels, they give the same totals.
    for name in [
        names::ENQUEUED.to_owned(),
        names::per_partition(names::ENQUEUED),
        names::per_priority(names::ENQUEUED),
    ] {
        assert_eq!(sum(&series, &name), accepted as f64, "{name}");
    }
    for name in [
        names::DEQUEUED.to_owned(),
        names::per_partition(names::DEQUEUED),
        names::per_priority(names::DEQUEUED),
    ] {
        assert_eq!(sum(&series, &name), 7.0, "{name}");
    }
    for name in [
        names::DEPTH.to_owned(),
        names::per_partition(names::DEPTH),
        names::per_priority(names::DEPTH),
    ] {
        assert_eq!(sum(&series, &name), (accepted - 7) as f64, "{name}");
    }
    // Refusals by reason add up to every refusal: 6 invalid priorities, 1 closed.
    assert_eq!(accepted, 24);
    assert_eq!(sum(&series, names::REJECTED), stats.rejected as f64);
    assert_eq!(rejected(&series, &[("queue", "tasks")]), [0, 1, 6, 0]);
    // The levels are labelled by their names.
    for (level, name) in ["low", "normal", "high"].into_iter().enumerate() {
        assert_eq!(
            counter(
                &series,
                &names::per_priority(names::ENQUEUED),
                &[("queue", "tasks"), ("priority", name)]
            ),
            stats.levels[level].enqueued,
            "{name}"
        );
    }
    // The maximum: 2 partitions of 3 levels, each of the default maximum.
    let max = Config::new().get_max_capacity() as f64;
    assert_eq!(sum(&series, names::MAX_CAPACITY), 6.0 * max);
    assert_eq!(
        sum(&series, &names::per_partition(names::MAX_CAPACITY)),
        6.0 * max
    );
}

#[test]
fn every_series_has_help_text_and_a_unit() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = metrics::with_local_recorder(&recorder, || {
        let levels: PriorityLevels<Job, LockedQueue<Job>> =
            PriorityLevels::with_config(Config::new()).unwrap();
        Instrumented::new(levels, "described")
    });
    queue.push(Job { urgency: 1 }).unwrap();
    queue.publish_metrics();
    let snapshot = snapshotter.snapshot().into_vec();
    let mut seen = std::collections::BTreeSet::new();
    for (key, unit, description, _) in snapshot {
        let name = key.key().name().to_owned();
        assert!(unit.is_some(), "{name} has no unit");
        assert!(
            description.is_some_and(|help| !help.is_empty()),
            "{name} has no help text"
        );
        seen.insert(name);
    }
    for name in [
        names::ENQUEUED,
        names::REJECTED,
        names::MAX_CAPACITY,
        names::BATCHES_PROCESSED,
        names::PROCESSING_RETRIES,
        names::DEAD_LETTERED,
        names::PROCESSING_DROPPED,
        names::ACK_FAILURES,
        names::TIME_IN_QUEUE,
    ] {
        assert!(seen.contains(name), "{name} is not registered");
    }
    assert!(seen.contains(&names::per_priority(names::DEPTH)));
}

#[test]
fn processor_events_are_counted() {
    use crate::queue::ProcessingEvent;
    use std::time::Duration;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = metrics::with_local_recorder(&recorder, || {
        Instrumented::new(LockedQueue::<u8>::new(Config::new()).unwrap(), "worked")
    });
    let events = [
        ProcessingEvent::Failed,
        ProcessingEvent::Retried,
        ProcessingEvent::Processed {
            took: Duration::from_millis(2),
        },
        ProcessingEvent::Failed,
        ProcessingEvent::Retried,
        ProcessingEvent::Failed,
        ProcessingEvent::DeadLettered { messages: 5 },
        ProcessingEvent::Dropped { messages: 2 },
        ProcessingEvent::AckFailed,
    ];
    for event in events {
        queue.processing_event(event);
    }
    let series = read(&snapshotter);
    let at = [("queue", "worked")];
    assert_eq!(counter(&series, names::BATCHES_PROCESSED, &at), 1);
    assert_eq!(counter(&series, names::PROCESSING_FAILURES, &at), 3);
    assert_eq!(counter(&series, names::PROCESSING_RETRIES, &at), 2);
    assert_eq!(counter(&series, names::DEAD_LETTERED, &at), 5);
    assert_eq!(counter(&series, names::PROCESSING_DROPPED, &at), 2);
    assert_eq!(counter(&series, names::ACK_FAILURES, &at), 1);
    match series.get(&(names::PROCESSING_DURATION.to_owned(), labels(&at))) {
        Some(DebugValue::Histogram(values)) => assert_eq!(values.len(), 1),
        other => panic!("{other:?}"),
    }
}

#[cfg(feature = "persist")]
#[test]
fn a_persisted_queue_reports_its_log_and_unacknowledged_deliveries() {
    use crate::message::Recorded;
    use crate::persist::doc::{log_dir, Job as Durable};
    use crate::persist::{PersistOptions, Persistent};

    let dir = log_dir("metrics-log");
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = metrics::with_local_recorder(&recorder, || {
        let persisted = Persistent::<Durable, LockedQueue<Recorded<Durable>>>::open(
            Config::new(),
            PersistOptions::new(&dir),
        )
        .unwrap();
        Instrumented::new(persisted, "outbox")
    });
    for n in 0..4 {
        queue.push(Durable(n)).unwrap();
    }
    let held = queue.pop_delivery().unwrap(); // delivered, not acknowledged
    let second = queue.pop_delivery().unwrap();
    assert_eq!(queue.pop(), Some(Durable(2))); // acknowledged as it is taken
    queue.publish_metrics();
    let series = read(&snapshotter);
    let at = [("queue", "outbox")];
    let log = queue.persist_stats();
    assert_eq!(gauge(&series, names::UNACKED, &at), 2.0);
    assert_eq!(
        gauge(&series, names::WAL_DISK_BYTES, &at),
        log.disk_bytes as f64
    );
    assert!(log.disk_bytes > 0);
    assert_eq!(
        counter(&series, names::WAL_BYTES_WRITTEN, &at),
        log.bytes_written
    );
    assert_eq!(counter(&series, names::WAL_FSYNCS, &at), log.fsyncs);
    assert_eq!(gauge(&series, names::DEPTH, &at), 1.0);

    second.ack().unwrap();
    held.nack(); // back in the queue: queued, no longer a delivery
    queue.publish_metrics();
    let series = read(&snapshotter);
    assert_eq!(gauge(&series, names::UNACKED, &at), 0.0);
    assert_eq!(gauge(&series, names::DEPTH, &at), 2.0);
}

/// The time-in-queue values recorded for `queue`.
fn time_in_queue(snapshotter: &Snapshotter, queue: &str) -> Vec<f64> {
    let series = read(snapshotter);
    match series.get(&(names::TIME_IN_QUEUE.to_owned(), labels(&[("queue", queue)]))) {
        Some(DebugValue::Histogram(values)) => values.iter().map(|v| v.into_inner()).collect(),
        other => panic!("{queue}: {other:?}"),
    }
}

/// Rounds of SAMPLE_EVERY pushes on a fresh thread (one of them sampled: followed), a pause,
/// then a drain on another: each round's followed message is recorded once, with at least
/// the pause.
fn follow_rounds<E>(engine: E, label: &str) -> Vec<f64>
where
    E: crate::layer::Lane<u32> + super::Observable<u32> + Send + Sync + 'static,
{
    use std::sync::Arc;
    use std::time::Duration;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = Arc::new(metrics::with_local_recorder(&recorder, || {
        Instrumented::new(engine, label)
    }));
    for round in 0..3 {
        let pusher = Arc::clone(&queue);
        std::thread::spawn(move || {
            for n in 0..SAMPLE_EVERY {
                pusher.push(round * SAMPLE_EVERY + n).unwrap();
            }
        })
        .join()
        .unwrap();
        std::thread::sleep(Duration::from_millis(3));
        let popper = Arc::clone(&queue);
        std::thread::spawn(move || while popper.pop().is_some() {})
            .join()
            .unwrap();
    }
    time_in_queue(&snapshotter, label)
}

#[test]
fn time_in_queue_follows_one_sampled_push_to_its_pop() {
    for (engine, values) in [
        (
            "locked",
            follow_rounds(LockedQueue::new(Config::new()).unwrap(), "tiq_locked"),
        ),
        (
            "lock-free",
            follow_rounds(LockFreeQueue::new(Config::new()).unwrap(), "tiq_lock_free"),
        ),
        (
            "lock-free, growing",
            // Rings of 4 that grow under the pushes: the followed message is found by
            // (ring, position) across seals.
            follow_rounds(
                LockFreeQueue::new(Config::new().initial_capacity(4).min_capacity(4)).unwrap(),
                "tiq_growing",
            ),
        ),
    ] {
        assert_eq!(values.len(), 3, "{engine}: {values:?}");
        assert!(values.iter().all(|&v| v >= 0.003), "{engine}: {values:?}");
    }
}

#[test]
fn time_in_queue_in_lanes_of_partitions_and_levels() {
    use std::sync::Arc;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = Arc::new(metrics::with_local_recorder(&recorder, || {
        let lanes: Partitioned<Task, PriorityLevels<Task, LockFreeQueue<Task>>> =
            Partitioned::with_config(Config::new().partitions(2)).unwrap();
        Instrumented::new(lanes, "tiq_lanes")
    }));
    let pusher = Arc::clone(&queue);
    std::thread::spawn(move || {
        // The sampled push (the last) goes to one lane; the other lanes' pops leave it.
        for n in 0..SAMPLE_EVERY {
            let urgency = (n % 3) as u8;
            pusher.push(Task { key: n, urgency }).unwrap();
        }
    })
    .join()
    .unwrap();
    assert!(time_in_queue(&snapshotter, "tiq_lanes").is_empty());
    let popper = Arc::clone(&queue);
    std::thread::spawn(move || while popper.pop().is_some() {})
        .join()
        .unwrap();
    assert_eq!(time_in_queue(&snapshotter, "tiq_lanes").len(), 1);
}
