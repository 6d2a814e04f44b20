//! The series a labelled queue reports, registered once as `metrics` handles.

use metrics::{Counter, Gauge, Histogram, Label, SharedString};

use super::names;
use super::observable::LogFigures;
use crate::queue::ProcessingEvent;
use crate::stats::Stats;

/// The counters and gauges of one scope (the whole queue, a partition or a level), under
/// that scope's names.
pub(crate) struct Scope {
    enqueued: Counter,
    dequeued: Counter,
    /// By reason, in the order of [`names::REASONS`].
    rejected: [Counter; 4],
    dropped: Counter,
    redelivered: Counter,
    resizes: Counter,
    depth: Gauge,
    capacity: Gauge,
    max_capacity: Gauge,
    bytes: Gauge,
}

impl Scope {
    fn register(name: impl Fn(&'static str) -> SharedString, labels: &[Label]) -> Self {
        let counter = |n| metrics::counter!(name(n), labels.iter());
        let gauge = |n| metrics::gauge!(name(n), labels.iter());
        let rejected = names::REASONS.map(|reason| {
            let mut with_reason = labels.to_vec();
            with_reason.push(Label::new("reason", reason));
            metrics::counter!(name(names::REJECTED), with_reason)
        });
        Self {
            enqueued: counter(names::ENQUEUED),
            dequeued: counter(names::DEQUEUED),
            rejected,
            dropped: counter(names::DROPPED),
            redelivered: counter(names::REDELIVERED),
            resizes: counter(names::RESIZES),
            depth: gauge(names::DEPTH),
            capacity: gauge(names::CAPACITY),
            max_capacity: gauge(names::MAX_CAPACITY),
            bytes: gauge(names::BYTES),
        }
    }

    fn publish(&self, stats: &Stats) {
        self.enqueued.absolute(stats.enqueued);
        self.dequeued.absolute(stats.dequeued);
        let reasons = [
            stats.rejected_full(),
            stats.rejected_closed,
            stats.rejected_invalid_priority,
            stats.rejected_write_failed,
        ];
        for (counter, count) in self.rejected.iter().zip(reasons) {
            counter.absolute(count);
        }
        self.dropped.absolute(stats.dropped);
        self.redelivered.absolute(stats.redelivered);
        self.resizes.absolute(stats.resizes);
        self.depth.set(stats.len as f64);
        self.capacity.set(stats.capacity as f64);
        self.max_capacity.set(stats.max_capacity as f64);
        self.bytes.set(stats.bytes as f64);
    }
}

/// What a processor over the queue reports (see [`ProcessingEvent`]).
pub(crate) struct Processing {
    batches: Counter,
    failures: Counter,
    retries: Counter,
    dead_lettered: Counter,
    dropped: Counter,
    ack_failures: Counter,
    duration: Histogram,
}

impl Processing {
    fn register(labels: &[Label]) -> Self {
        let counter = |name: &'static str| metrics::counter!(name, labels.iter());
        Self {
            batches: counter(names::BATCHES_PROCESSED),
            failures: counter(names::PROCESSING_FAILURES),
            retries: counter(names::PROCESSING_RETRIES),
            dead_lettered: counter(names::DEAD_LETTERED),
            dropped: counter(names::PROCESSING_DROPPED),
            ack_failures: counter(names::ACK_FAILURES),
            duration: metrics::histogram!(names::PROCESSING_DURATION, labels.iter()),
        }
    }

    pub(crate) fn record(&self, event: ProcessingEvent) {
        match event {
            ProcessingEvent::Processed { took } => {
                self.batches.increment(1);
                self.duration.record(took.as_secs_f64());
            }
            ProcessingEvent::Failed => self.failures.increment(1),
            ProcessingEvent::Retried => self.retries.increment(1),
            ProcessingEvent::DeadLettered { messages } => {
                self.dead_lettered.increment(messages as u64);
            }
            ProcessingEvent::Dropped { messages } => self.dropped.increment(messages as u64),
            ProcessingEvent::AckFailed => self.ack_failures.increment(1),
        }
    }
}

/// A persisted queue's log.
struct Log {
    bytes_written: Counter,
    fsyncs: Counter,
    disk_bytes: Gauge,
    unacked: Gauge,
}

/// Every series of one labelled queue.
pub(crate) struct Series {
    pub(crate) label: String,
    queue: Scope,
    partitions: Vec<Scope>,
    levels: Vec<Scope>,
    pub(crate) push_duration: Histogram,
    pub(crate) pop_duration: Histogram,
    pub(crate) time_in_queue: Histogram,
    pub(crate) processing: Processing,
    /// Persisted queues only.
    log: Option<Log>,
}

impl Series {
    /// Registers the series of a queue labelled `label` with `partitions` partitions (0 or 1:
    /// none) and `levels` levels named `level_names` (by number when it does not name them
    /// all), and a log if `persisted`.
    pub(crate) fn register(
        label: &str,
        partitions: usize,
        levels: usize,
        level_names: &[&'static str],
        persisted: bool,
    ) -> Self {
        names::describe();
        let queue = Label::new("queue", label.to_owned());
        let labels = std::slice::from_ref(&queue);
        let partitions = if partitions > 1 {
            (0..partitions)
                .map(|p| {
                    let at = [queue.clone(), Label::new("partition", p.to_string())];
                    Scope::register(|name| names::per_partition(name).into(), &at)
                })
                .collect()
        } else {
            Vec::new()
        };
        let levels = if levels > 1 {
            (0..levels)
                .map(|level| {
                    let value = match level_names {
                        all if all.len() == levels => SharedString::const_str(all[level]),
                        _ => level.to_string().into(),
                    };
                    let at = [queue.clone(), Label::new("priority", value)];
                    Scope::register(|name| names::per_priority(name).into(), &at)
                })
                .collect()
        } else {
            Vec::new()
        };
        let operation = |op: &'static str| {
            let at = [queue.clone(), Label::new("op", op)];
            metrics::histogram!(names::OPERATION_DURATION, at.iter())
        };
        let log = persisted.then(|| Log {
            bytes_written: metrics::counter!(names::WAL_BYTES_WRITTEN, labels.iter()),
            fsyncs: metrics::counter!(names::WAL_FSYNCS, labels.iter()),
            disk_bytes: metrics::gauge!(names::WAL_DISK_BYTES, labels.iter()),
            unacked: metrics::gauge!(names::UNACKED, labels.iter()),
        });
        Self {
            label: label.to_owned(),
            queue: Scope::register(SharedString::const_str, labels),
            partitions,
            levels,
            push_duration: operation("push"),
            pop_duration: operation("pop"),
            time_in_queue: metrics::histogram!(names::TIME_IN_QUEUE, labels.iter()),
            processing: Processing::register(labels),
            log,
        }
    }

    /// The write-ahead log's figures (persisted queues).
    pub(crate) fn publish_log(&self, figures: &LogFigures) {
        if let Some(log) = &self.log {
            log.bytes_written.absolute(figures.bytes_written);
            log.fsyncs.absolute(figures.fsyncs);
            log.disk_bytes.set(figures.disk_bytes as f64);
            log.unacked.set(figures.unacked as f64);
        }
    }

    pub(crate) fn publish(&self, stats: &Stats) {
        self.queue.publish(stats);
        for (scope, stats) in self.partitions.iter().zip(&stats.partitions) {
            scope.publish(stats);
        }
        for (scope, stats) in self.levels.iter().zip(&stats.levels) {
            scope.publish(stats);
        }
    }
}
