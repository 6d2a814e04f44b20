//! What happened to a batch: failures, dead letters, counters and the events that report them.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::queue::ProcessingEvent;

/// Why one try of a batch failed.
///
/// ```
/// use elasticq_runtime::Cause;
/// let cause: Cause<String> = Cause::Panic("index out of bounds".into());
/// assert!(matches!(cause, Cause::Panic(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause<E> {
    /// The processor function returned this error.
    Error(E),
    /// The processor function panicked with this message.
    Panic(String),
}

impl<E: std::fmt::Debug> std::fmt::Display for Cause<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Error(error) => write!(f, "error: {error:?}"),
            Self::Panic(message) => write!(f, "panic: {message}"),
        }
    }
}

/// A batch the processor gave up on, as the dead-letter callback receives it with the batch.
///
/// ```
/// use elasticq_runtime::{Cause, Failure};
/// fn report(batch: Vec<u32>, failure: Failure<String>) {
///     eprintln!("{} messages of partition {} failed {} times, last: {}",
///         batch.len(), failure.partition, failure.attempts, failure.cause);
/// }
/// # report(vec![1], Failure { partition: 0, attempts: 4, cause: Cause::Error("down".into()) });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure<E> {
    /// The partition the batch came from.
    pub partition: usize,
    /// How many times the batch was tried.
    pub attempts: u32,
    /// Why the last try failed.
    pub cause: Cause<E>,
}

/// Receives the batches the processor gives up on. Implemented by [`NoDeadLetter`] (the
/// batch is dropped, with an event and a counter) and by [`DeadLetterFn`], which
/// [`ProcessorBuilder::dead_letter`](crate::ProcessorBuilder::dead_letter) makes.
///
/// ```
/// use elasticq_runtime::{Cause, DeadLetter, DeadLetterFn, Failure, NoDeadLetter};
/// let failure = || Failure { partition: 0, attempts: 1, cause: Cause::Error("down") };
/// assert!(!NoDeadLetter.dead_letter(vec![1u8], failure()));
/// assert!(DeadLetterFn(|_: Vec<u8>, _: Failure<&str>| {}).dead_letter(vec![1u8], failure()));
/// ```
pub trait DeadLetter<I, E>: Send + Sync + 'static {
    /// Takes the batch; `false` if it was dropped instead.
    fn dead_letter(&self, batch: Vec<I>, failure: Failure<E>) -> bool;
}

/// No dead-letter callback: a batch given up on is dropped, reported by an event and counted
/// in [`ProcessorStats::dropped`].
///
/// ```
/// let none = elasticq_runtime::NoDeadLetter;
/// # drop(none);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDeadLetter;

impl<I, E> DeadLetter<I, E> for NoDeadLetter {
    fn dead_letter(&self, _: Vec<I>, _: Failure<E>) -> bool {
        false
    }
}

/// A dead-letter callback.
///
/// ```
/// use elasticq_runtime::{DeadLetterFn, Failure};
/// let callback = DeadLetterFn(|batch: Vec<u32>, failure: Failure<String>| eprintln!("{batch:?}: {}", failure.cause));
/// # drop(callback);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DeadLetterFn<G>(pub G);

impl<I, E, G> DeadLetter<I, E> for DeadLetterFn<G>
where
    G: Fn(Vec<I>, Failure<E>) + Send + Sync + 'static,
{
    fn dead_letter(&self, batch: Vec<I>, failure: Failure<E>) -> bool {
        (self.0)(batch, failure);
        true
    }
}

/// A processor's counters since it started.
///
/// ```
/// let stats = elasticq_runtime::ProcessorStats::default();
/// assert_eq!(stats.processed, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessorStats {
    /// Messages in batches the processor function accepted.
    pub processed: u64,
    /// Batches the processor function accepted.
    pub batches: u64,
    /// Tries that failed (an error or a panic), retried or not.
    pub failures: u64,
    /// Tries that were retries of a failed batch.
    pub retries: u64,
    /// Messages handed to the dead-letter callback.
    pub dead_lettered: u64,
    /// Messages given up on without a dead-letter callback (or whose callback panicked).
    pub dropped: u64,
    /// Batches of a persisted queue whose acknowledgement failed: their messages are
    /// delivered again after the queue reopens.
    pub ack_failures: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    processed: AtomicU64,
    batches: AtomicU64,
    failures: AtomicU64,
    retries: AtomicU64,
    dead_lettered: AtomicU64,
    dropped: AtomicU64,
    ack_failures: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ProcessorStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ProcessorStats {
            processed: get(&self.processed),
            batches: get(&self.batches),
            failures: get(&self.failures),
            retries: get(&self.retries),
            dead_lettered: get(&self.dead_lettered),
            dropped: get(&self.dropped),
            ack_failures: get(&self.ack_failures),
        }
    }
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

/// The reporting of one worker: its counters and its `tracing` events.
pub(crate) struct Report<'a> {
    pub(crate) queue: &'static str,
    pub(crate) partition: usize,
    pub(crate) counters: &'a Counters,
    /// The queue's own metrics (a labelled queue records processing there too).
    pub(crate) metrics: &'a (dyn crate::queue::ProcessingMetrics + Sync),
}

const TARGET: &str = "elasticq::processor";

impl Report<'_> {
    pub(crate) fn partition_started(&self) {
        tracing::info!(target: TARGET, queue = self.queue, partition = self.partition, "partition start");
    }

    pub(crate) fn partition_stopped(&self, reason: &'static str) {
        tracing::info!(target: TARGET, queue = self.queue, partition = self.partition, reason, "partition stop");
    }

    pub(crate) fn processing_started(&self, size: usize, attempt: u32) {
        if attempt > 1 {
            add(&self.counters.retries, 1);
            self.metrics.processing_event(ProcessingEvent::Retried);
        }
        tracing::debug!(target: TARGET, queue = self.queue, partition = self.partition, size, attempt, "processing start");
    }

    pub(crate) fn processed(&self, size: usize, took: Duration) {
        add(&self.counters.processed, size);
        add(&self.counters.batches, 1);
        self.metrics
            .processing_event(ProcessingEvent::Processed { took });
        tracing::debug!(
            target: TARGET,
            queue = self.queue,
            partition = self.partition,
            size,
            duration_us = took.as_micros() as u64,
            "processing stop"
        );
    }

    pub(crate) fn failed<E: std::fmt::Debug>(
        &self,
        size: usize,
        attempt: u32,
        cause: &Cause<E>,
        took: Duration,
    ) {
        add(&self.counters.failures, 1);
        self.metrics.processing_event(ProcessingEvent::Failed);
        let duration_us = took.as_micros() as u64;
        match cause {
            Cause::Panic(message) => tracing::error!(
                target: TARGET,
                queue = self.queue,
                partition = self.partition,
                size,
                attempt,
                duration_us,
                panic = %message,
                "processing exception"
            ),
            Cause::Error(error) => tracing::warn!(
                target: TARGET,
                queue = self.queue,
                partition = self.partition,
                size,
                attempt,
                duration_us,
                error = ?error,
                "processing failed"
            ),
        }
    }

    /// The batch was given up on: to the dead-letter callback, or dropped.
    pub(crate) fn give_up<I, E: std::fmt::Debug>(
        &self,
        dead_letter: &impl DeadLetter<I, E>,
        items: Vec<I>,
        failure: Failure<E>,
    ) {
        let size = items.len();
        let attempts = failure.attempts;
        let taken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            dead_letter.dead_letter(items, failure)
        }));
        match taken {
            Ok(true) => {
                add(&self.counters.dead_lettered, size);
                self.metrics
                    .processing_event(ProcessingEvent::DeadLettered { messages: size });
                tracing::warn!(target: TARGET, queue = self.queue, partition = self.partition, size, attempts, "batch dead-lettered");
            }
            Ok(false) => {
                add(&self.counters.dropped, size);
                self.metrics
                    .processing_event(ProcessingEvent::Dropped { messages: size });
                tracing::error!(target: TARGET, queue = self.queue, partition = self.partition, size, attempts, "batch dropped after its last retry");
            }
            Err(panic) => {
                add(&self.counters.dropped, size);
                self.metrics
                    .processing_event(ProcessingEvent::Dropped { messages: size });
                tracing::error!(
                    target: TARGET,
                    queue = self.queue,
                    partition = self.partition,
                    size,
                    attempts,
                    panic = %panic_message(panic.as_ref()),
                    "dead-letter callback panicked; batch dropped"
                );
            }
        }
    }

    pub(crate) fn settle<B: super::TakenBatch>(&self, batch: B) {
        let size = batch.len();
        if let Err(error) = batch.settle() {
            self.ack_failed(
                size,
                &error,
                "acknowledging a processed batch failed; it will be delivered again after the queue reopens",
            );
        }
    }

    /// Acknowledging a handled batch failed: it will be delivered again (`then` says when).
    pub(crate) fn ack_failed(&self, size: usize, error: &dyn std::fmt::Display, then: &str) {
        add(&self.counters.ack_failures, 1);
        self.metrics.processing_event(ProcessingEvent::AckFailed);
        tracing::error!(
            target: TARGET,
            queue = self.queue,
            partition = self.partition,
            size,
            error = %error,
            "{then}"
        );
    }
}

/// The message a panic carried, as text.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
