//! The series' names, as exported, each spelled once with its kind, unit and help text.
//!
//! Summing a series over all its labels counts each message once: the queue-wide series
//! carry only `queue` (and `reason` or `op`, which split them), and the breakdowns have names
//! of their own, [`per_partition`] and [`per_priority`], so that `sum(elasticq_…)` never adds
//! a partition's count to the queue's.

use metrics::Unit;

/// Messages accepted by a push.
pub const ENQUEUED: &str = "elasticq_messages_enqueued_total";
/// Messages handed out by a pop, `clear` or `drain`.
pub const DEQUEUED: &str = "elasticq_messages_dequeued_total";
/// Messages refused by a push, by `reason` (one of [`REASONS`]).
pub const REJECTED: &str = "elasticq_messages_rejected_total";
/// Messages evicted under `overflow = drop_oldest`.
pub const DROPPED: &str = "elasticq_messages_dropped_total";
/// Deliveries handed back with `nack` and queued again.
pub const REDELIVERED: &str = "elasticq_messages_redelivered_total";
/// Capacity changes (growths and shrinks).
pub const RESIZES: &str = "elasticq_resizes_total";
/// Messages queued.
pub const DEPTH: &str = "elasticq_queue_depth";
/// The queue's capacity now.
pub const CAPACITY: &str = "elasticq_queue_capacity";
/// The capacity the queue may grow to (`max_capacity`, for every lane): `depth / max` is how
/// full it is.
pub const MAX_CAPACITY: &str = "elasticq_queue_max_capacity";
/// The weight of the queued messages (with a byte bound, or a persisted queue's record
/// lengths).
pub const BYTES: &str = "elasticq_queue_bytes";
/// Batches the processor function accepted.
pub const BATCHES_PROCESSED: &str = "elasticq_batches_processed_total";
/// Tries of a batch that failed (an error or a panic).
pub const PROCESSING_FAILURES: &str = "elasticq_processing_failures_total";
/// Tries of a batch after a failed one.
pub const PROCESSING_RETRIES: &str = "elasticq_processing_retries_total";
/// Messages of batches given up on and handed to the dead-letter callback.
pub const DEAD_LETTERED: &str = "elasticq_processing_dead_lettered_messages_total";
/// Messages of batches given up on and dropped (no dead-letter callback took them).
pub const PROCESSING_DROPPED: &str = "elasticq_processing_dropped_messages_total";
/// Processed batches whose acknowledgement could not be written.
pub const ACK_FAILURES: &str = "elasticq_processing_ack_failures_total";
/// Bytes the write-ahead log wrote.
pub const WAL_BYTES_WRITTEN: &str = "elasticq_wal_bytes_written_total";
/// `fdatasync` calls of the write-ahead log.
pub const WAL_FSYNCS: &str = "elasticq_wal_fsyncs_total";
/// The size of the write-ahead log's segment files.
pub const WAL_DISK_BYTES: &str = "elasticq_wal_disk_bytes";
/// Deliveries taken from a persisted queue and not yet acknowledged.
pub const UNACKED: &str = "elasticq_unacked_deliveries";
/// Seconds one push or pop took (sampled), by `op`.
pub const OPERATION_DURATION: &str = "elasticq_operation_duration_seconds";
/// Seconds one call of the processor function took.
pub const PROCESSING_DURATION: &str = "elasticq_processing_duration_seconds";
/// Seconds a message spent queued, from its push to its pop (sampled).
pub const TIME_IN_QUEUE: &str = "elasticq_time_in_queue_seconds";

/// The values of [`REJECTED`]'s `reason` label: no room, closed, a priority outside the
/// levels, a log write that failed.
pub const REASONS: [&str; 4] = ["full", "closed", "invalid_priority", "write_failed"];

/// The name of a per-queue series' breakdown by partition (label `partition`):
/// `elasticq_partition_…`.
///
/// ```
/// use elasticq_runtime::metrics::names;
/// assert_eq!(names::per_partition(names::ENQUEUED), "elasticq_partition_messages_enqueued_total");
/// ```
pub fn per_partition(name: &str) -> String {
    breakdown("partition", name)
}

/// The name of a per-queue series' breakdown by priority level (label `priority`, the
/// level's name or number): `elasticq_priority_…`.
///
/// ```
/// use elasticq_runtime::metrics::names;
/// assert_eq!(names::per_priority(names::DEPTH), "elasticq_priority_queue_depth");
/// ```
pub fn per_priority(name: &str) -> String {
    breakdown("priority", name)
}

fn breakdown(by: &str, name: &str) -> String {
    let rest = name.strip_prefix("elasticq_").unwrap_or(name);
    format!("elasticq_{by}_{rest}")
}

/// A series' kind, for its description.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Every series: name, kind, unit and help text, as `describe_*` tells the recorder.
pub(crate) const ALL: &[(&str, Kind, Unit, &str)] = &[
    (
        ENQUEUED,
        Kind::Counter,
        Unit::Count,
        "Messages accepted by a push.",
    ),
    (
        DEQUEUED,
        Kind::Counter,
        Unit::Count,
        "Messages handed out by a pop, clear or drain.",
    ),
    (
        REJECTED,
        Kind::Counter,
        Unit::Count,
        "Messages refused by a push, by reason (full, closed, invalid_priority, write_failed).",
    ),
    (
        DROPPED,
        Kind::Counter,
        Unit::Count,
        "Messages evicted to make room under overflow = drop_oldest.",
    ),
    (
        REDELIVERED,
        Kind::Counter,
        Unit::Count,
        "Deliveries handed back with nack and queued again.",
    ),
    (
        RESIZES,
        Kind::Counter,
        Unit::Count,
        "Times the capacity grew or shrank.",
    ),
    (DEPTH, Kind::Gauge, Unit::Count, "Messages queued."),
    (
        CAPACITY,
        Kind::Gauge,
        Unit::Count,
        "Messages that fit before the next growth.",
    ),
    (
        MAX_CAPACITY,
        Kind::Gauge,
        Unit::Count,
        "Messages the queue may grow to hold.",
    ),
    (
        BYTES,
        Kind::Gauge,
        Unit::Bytes,
        "Weight of the queued messages (byte bound, or encoded record lengths).",
    ),
    (
        BATCHES_PROCESSED,
        Kind::Counter,
        Unit::Count,
        "Batches the processor function accepted.",
    ),
    (
        PROCESSING_FAILURES,
        Kind::Counter,
        Unit::Count,
        "Tries of a batch that failed (an error or a panic).",
    ),
    (
        PROCESSING_RETRIES,
        Kind::Counter,
        Unit::Count,
        "Tries of a batch after a failed one.",
    ),
    (
        DEAD_LETTERED,
        Kind::Counter,
        Unit::Count,
        "Messages given up on and handed to the dead-letter callback.",
    ),
    (
        PROCESSING_DROPPED,
        Kind::Counter,
        Unit::Count,
        "Messages given up on and dropped.",
    ),
    (
        ACK_FAILURES,
        Kind::Counter,
        Unit::Count,
        "Processed batches whose acknowledgement could not be written.",
    ),
    (
        WAL_BYTES_WRITTEN,
        Kind::Counter,
        Unit::Bytes,
        "Bytes the write-ahead log wrote.",
    ),
    (
        WAL_FSYNCS,
        Kind::Counter,
        Unit::Count,
        "fdatasync calls of the write-ahead log.",
    ),
    (
        WAL_DISK_BYTES,
        Kind::Gauge,
        Unit::Bytes,
        "Size of the write-ahead log's segment files.",
    ),
    (
        UNACKED,
        Kind::Gauge,
        Unit::Count,
        "Deliveries taken and not yet acknowledged.",
    ),
    (
        OPERATION_DURATION,
        Kind::Histogram,
        Unit::Seconds,
        "Duration of one push or pop (one in 256 per thread).",
    ),
    (
        PROCESSING_DURATION,
        Kind::Histogram,
        Unit::Seconds,
        "Duration of one accepted call of the processor function.",
    ),
    (
        TIME_IN_QUEUE,
        Kind::Histogram,
        Unit::Seconds,
        "Time from a message's push to its pop (sampled).",
    ),
];

/// The per-queue series that have a breakdown by partition and by priority level.
pub(crate) const SCOPED: [&str; 10] = [
    ENQUEUED,
    DEQUEUED,
    REJECTED,
    DROPPED,
    REDELIVERED,
    RESIZES,
    DEPTH,
    CAPACITY,
    MAX_CAPACITY,
    BYTES,
];

/// Tells the installed recorder every series' help text and unit, the breakdowns' too.
pub(crate) fn describe() {
    for &(name, kind, unit, help) in ALL {
        describe_one(name.into(), kind, unit, help);
        if SCOPED.contains(&name) {
            describe_one(per_partition(name).into(), kind, unit, help);
            describe_one(per_priority(name).into(), kind, unit, help);
        }
    }
}

fn describe_one(name: metrics::KeyName, kind: Kind, unit: Unit, help: &'static str) {
    metrics::with_recorder(|recorder| match kind {
        Kind::Counter => recorder.describe_counter(name, Some(unit), help.into()),
        Kind::Gauge => recorder.describe_gauge(name, Some(unit), help.into()),
        Kind::Histogram => recorder.describe_histogram(name, Some(unit), help.into()),
    });
}
