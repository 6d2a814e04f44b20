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
    assert_eq!(counter(&series, names::REJECTED, &at), 1);
    assert_eq!(counter(&series, names::RESIZES, &at), 1, "grew from 2 to 4");
    assert_eq!(gauge(&series, names::DEPTH, &at), 3.0);
    assert_eq!(gauge(&series, names::CAPACITY, &at), 4.0);

    queue.drain();
    drop(queue); // publishes its last values
    let series = read(&snapshotter);
    assert_eq!(counter(&series, names::DEQUEUED, &at), 4);
    assert_eq!(gauge(&series, names::DEPTH, &at), 0.0);
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
                names::ENQUEUED,
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
    let level =
        |name: &str, level: &str| counter(&series, name, &[("queue", "jobs"), ("priority", level)]);
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
            names::DEPTH,
            &[("queue", "jobs"), ("priority", "2")]
        ),
        1.0
    );
    assert_eq!(counter(&series, names::REJECTED, &[("queue", "jobs")]), 1);
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
