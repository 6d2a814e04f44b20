//! The series a labelled queue reports, registered once as `metrics` handles.

use metrics::{counter, gauge, histogram, Counter, Gauge, Histogram};

use crate::stats::Stats;

/// The series' names, as exported.
pub mod names {
    /// Messages accepted by a push.
    pub const ENQUEUED: &str = "elasticq_messages_enqueued_total";
    /// Messages handed out by a pop, `clear` or `drain`.
    pub const DEQUEUED: &str = "elasticq_messages_dequeued_total";
    /// Messages refused by a push (full, closed, invalid priority).
    pub const REJECTED: &str = "elasticq_messages_rejected_total";
    /// Messages evicted under `overflow = drop_oldest`.
    pub const DROPPED: &str = "elasticq_messages_dropped_total";
    /// Deliveries handed back with `nack` and queued again.
    pub const REDELIVERED: &str = "elasticq_messages_redelivered_total";
    /// Capacity changes (growths and shrinks).
    pub const RESIZES: &str = "elasticq_resizes_total";
    /// Batches the processor function accepted.
    pub const BATCHES_PROCESSED: &str = "elasticq_batches_processed_total";
    /// Tries of a batch that failed (an error or a panic).
    pub const PROCESSING_FAILURES: &str = "elasticq_processing_failures_total";
    /// Bytes the write-ahead log wrote.
    pub const WAL_BYTES_WRITTEN: &str = "elasticq_wal_bytes_written_total";
    /// `fdatasync` calls of the write-ahead log.
    pub const WAL_FSYNCS: &str = "elasticq_wal_fsyncs_total";
    /// Messages queued.
    pub const DEPTH: &str = "elasticq_queue_depth";
    /// The queue's capacity.
    pub const CAPACITY: &str = "elasticq_queue_capacity";
    /// The weight of the queued messages (with a byte bound, or a persisted queue's record
    /// lengths).
    pub const BYTES: &str = "elasticq_queue_bytes";
    /// Seconds one push or pop took (sampled).
    pub const OPERATION_DURATION: &str = "elasticq_operation_duration_seconds";
    /// Seconds one call of the processor function took.
    pub const PROCESSING_DURATION: &str = "elasticq_processing_duration_seconds";
}

/// The counters and gauges of one scope (the whole queue, a partition or a level).
pub(crate) struct Scope {
    enqueued: Counter,
    dequeued: Counter,
    rejected: Counter,
    dropped: Counter,
    redelivered: Counter,
    resizes: Counter,
    depth: Gauge,
    capacity: Gauge,
    bytes: Gauge,
}

impl Scope {
    fn register(labels: &[(&'static str, String)]) -> Self {
        let labels: Vec<metrics::Label> = labels
            .iter()
            .map(|(key, value)| metrics::Label::new(*key, value.clone()))
            .collect();
        Self {
            enqueued: counter!(names::ENQUEUED, labels.iter()),
            dequeued: counter!(names::DEQUEUED, labels.iter()),
            rejected: counter!(names::REJECTED, labels.iter()),
            dropped: counter!(names::DROPPED, labels.iter()),
            redelivered: counter!(names::REDELIVERED, labels.iter()),
            resizes: counter!(names::RESIZES, labels.iter()),
            depth: gauge!(names::DEPTH, labels.iter()),
            capacity: gauge!(names::CAPACITY, labels.iter()),
            bytes: gauge!(names::BYTES, labels.iter()),
        }
    }

    fn publish(&self, stats: &Stats) {
        self.enqueued.absolute(stats.enqueued);
        self.dequeued.absolute(stats.dequeued);
        self.rejected.absolute(stats.rejected);
        self.dropped.absolute(stats.dropped);
        self.redelivered.absolute(stats.redelivered);
        self.resizes.absolute(stats.resizes);
        self.depth.set(stats.len as f64);
        self.capacity.set(stats.capacity as f64);
        self.bytes.set(stats.bytes as f64);
    }
}

/// Every series of one labelled queue.
pub(crate) struct Series {
    pub(crate) label: String,
    queue: Scope,
    partitions: Vec<Scope>,
    levels: Vec<Scope>,
    pub(crate) push_duration: Histogram,
    pub(crate) pop_duration: Histogram,
    pub(crate) batches_processed: Counter,
    pub(crate) processing_failures: Counter,
    pub(crate) processing_duration: Histogram,
    /// The log's bytes written and syncs: persisted queues only.
    wal: Option<(Counter, Counter)>,
}

impl Series {
    pub(crate) fn register(label: &str, partitions: usize, levels: usize, persisted: bool) -> Self {
        let queue = || ("queue", label.to_owned());
        let per = |key: &'static str, n: usize| -> Vec<Scope> {
            if n <= 1 {
                return Vec::new();
            }
            (0..n)
                .map(|i| Scope::register(&[queue(), (key, i.to_string())]))
                .collect()
        };
        let operation = |op: &'static str| histogram!(names::OPERATION_DURATION, "queue" => label.to_owned(), "op" => op);
        Self {
            label: label.to_owned(),
            queue: Scope::register(&[queue()]),
            partitions: per("partition", partitions),
            levels: per("priority", levels),
            push_duration: operation("push"),
            pop_duration: operation("pop"),
            batches_processed: counter!(names::BATCHES_PROCESSED, "queue" => label.to_owned()),
            processing_failures: counter!(names::PROCESSING_FAILURES, "queue" => label.to_owned()),
            processing_duration: histogram!(names::PROCESSING_DURATION, "queue" => label.to_owned()),
            wal: persisted.then(|| {
                (
                    counter!(names::WAL_BYTES_WRITTEN, "queue" => label.to_owned()),
                    counter!(names::WAL_FSYNCS, "queue" => label.to_owned()),
                )
            }),
        }
    }

    /// The write-ahead log's totals (persisted queues).
    pub(crate) fn publish_log(&self, bytes_written: u64, fsyncs: u64) {
        if let Some((bytes, syncs)) = &self.wal {
            bytes.absolute(bytes_written);
            syncs.absolute(fsyncs);
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
