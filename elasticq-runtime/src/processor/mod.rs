//! PartitionedBuffer's processing cycle over a generated queue: one worker per partition
//! drains it every interval and hands the messages to a function in batches; failures are
//! retried with backoff, then dead-lettered or dropped; a shutdown processes what is left.

mod attempts;
mod batch;
mod control;
#[cfg(all(feature = "jetstream", feature = "persist"))]
mod forward;
#[cfg(feature = "jetstream")]
mod jetstream;
mod options;
mod outcome;
mod source;
mod task;
mod thread;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use batch::TakenBatch;
#[cfg(all(feature = "jetstream", feature = "persist"))]
pub use forward::ForwarderHandle;
#[cfg(feature = "jetstream")]
pub use jetstream::JetStreamProcessorHandle;
pub use options::{ProcessorError, ProcessorOptions, ProcessorSettings, MAX_BACKOFF};
pub use outcome::{Cause, DeadLetter, DeadLetterFn, Failure, NoDeadLetter, ProcessorStats};
pub use source::ProcessorSource;
pub use task::ProcessorHandle;
pub use thread::ThreadProcessorHandle;

use crate::queue::GeneratedQueue;

type Item<Q> = <<Q as GeneratedQueue>::Batch as TakenBatch>::Item;

/// Configures a processor over a queue; a generated queue's `processor()` makes one (call it
/// on an `Arc` of the queue). Every setting starts at PartitionedBuffer's default (see
/// [`ProcessorSettings`]).
///
/// ```
/// # use elasticq_runtime::__doc::Jobs;
/// use std::{sync::Arc, time::Duration};
/// use elasticq_runtime::{Failure, ProcessorBuilder};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Arc::new(Jobs::new());
/// let handle = ProcessorBuilder::new(Arc::clone(&jobs))
///     .interval(Duration::from_millis(100))
///     .batch_size(500)
///     .timeout(Duration::from_secs(5))
///     .retries(2)
///     .dead_letter(|batch, failure: Failure<String>| eprintln!("gave up on {batch:?}: {}", failure.cause))
///     .spawn(|batch: Vec<u32>| async move {
///         // export the batch; an Err or a panic is retried
///         Ok::<(), String>(())
///     });
/// # drop(handle);
/// # });
/// ```
#[must_use = "a processor does nothing until spawned"]
pub struct ProcessorBuilder<Q, D = NoDeadLetter> {
    queue: Arc<Q>,
    settings: ProcessorSettings,
    options: ProcessorOptions,
    dead_letter: D,
}

impl<Q: ProcessorSource, D> std::fmt::Debug for ProcessorBuilder<Q, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorBuilder")
            .field("queue", &self.queue.source_name())
            .field("options", &self.options)
            .finish()
    }
}

impl<Q> ProcessorBuilder<Q> {
    /// A processor over `queue` with the default settings and no dead-letter callback.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// # drop(builder);
    /// ```
    pub fn new(queue: Arc<Q>) -> Self {
        Self {
            queue,
            settings: ProcessorSettings::default(),
            options: ProcessorOptions::new(),
            dead_letter: NoDeadLetter,
        }
    }
}

impl<Q, D> ProcessorBuilder<Q, D> {
    /// Sets the time between two drains of a partition (default 5 s; must be longer than
    /// zero).
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// let builder = builder.interval(std::time::Duration::from_millis(50));
    /// # drop(builder);
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.options = self.options.interval(interval);
        self
    }

    /// Sets the most messages one call receives (default 10; at least 1).
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// let builder = builder.batch_size(1000);
    /// # drop(builder);
    /// ```
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.options = self.options.batch_size(batch_size);
        self
    }

    /// Sets how long a shutdown waits for the queued messages to be processed (default 60 s).
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// let builder = builder.timeout(std::time::Duration::from_secs(10));
    /// # drop(builder);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// Sets how many times a failed batch is tried again (default 3; 0: never).
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// let builder = builder.retries(0);
    /// # drop(builder);
    /// ```
    pub fn retries(mut self, retries: u32) -> Self {
        self.options = self.options.retries(retries);
        self
    }

    /// Sets the wait before the first retry; each later retry waits twice as long, up to
    /// [`MAX_BACKOFF`] (default 100 ms).
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// let builder = builder.backoff(std::time::Duration::from_millis(5));
    /// # drop(builder);
    /// ```
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.options = self.options.backoff(backoff);
        self
    }

    /// Sets the callback that receives a batch once its last retry failed, with the failure
    /// (without one, the batch is dropped with an event and counted). With persistence the
    /// batch is acknowledged once the callback returns.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// use elasticq_runtime::Failure;
    /// # let builder = elasticq_runtime::ProcessorBuilder::new(std::sync::Arc::new(Jobs::new()));
    /// let builder = builder.dead_letter(|batch, failure: Failure<std::io::Error>| {
    ///     eprintln!("{} jobs failed: {}", batch.len(), failure.cause);
    /// });
    /// # drop(builder);
    /// ```
    pub fn dead_letter<E, G>(self, callback: G) -> ProcessorBuilder<Q, DeadLetterFn<G>>
    where
        Q: ProcessorSource,
        G: Fn(Vec<Q::Item>, Failure<E>) + Send + Sync + 'static,
    {
        ProcessorBuilder {
            queue: self.queue,
            settings: self.settings,
            options: self.options,
            dead_letter: DeadLetterFn(callback),
        }
    }

    fn settings(&self) -> Result<ProcessorSettings, ProcessorError> {
        self.options.apply_to(self.settings)
    }
}

impl<Q, D> ProcessorBuilder<Q, D>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch,
{
    /// Starts one tokio task per partition, calling `process` with each batch; its future's
    /// `Err` (or a panic) fails the batch, which is retried, then dead-lettered or dropped.
    /// With persistence a batch is acknowledged only once `process` succeeds.
    ///
    /// # Panics
    /// Outside a tokio runtime (or in one without its timer), or with an invalid setting (a
    /// zero interval or batch size);
    /// [`try_spawn`](Self::try_spawn) returns those as errors.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    ///     .spawn(|batch: Vec<u32>| async move { Ok::<(), String>(()) });
    /// # drop(handle);
    /// # });
    /// ```
    pub fn spawn<F, Fut, E>(self, process: F) -> ProcessorHandle<Q>
    where
        F: Fn(Vec<Item<Q>>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Debug + Send + 'static,
        D: DeadLetter<Item<Q>, E>,
    {
        match self.try_spawn(process) {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// Like [`spawn`](Self::spawn), but an invalid setting, a missing runtime or a runtime
    /// without its timer is an error.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::Arc;
    /// use elasticq_runtime::ProcessorError;
    /// let outside = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    ///     .try_spawn(|_: Vec<u32>| async { Ok::<(), String>(()) });
    /// assert_eq!(outside.err(), Some(ProcessorError::NoRuntime));
    /// ```
    pub fn try_spawn<F, Fut, E>(self, process: F) -> Result<ProcessorHandle<Q>, ProcessorError>
    where
        F: Fn(Vec<Item<Q>>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Debug + Send + 'static,
        D: DeadLetter<Item<Q>, E>,
    {
        let settings = self.settings()?;
        task::spawn(self.queue, settings, process, self.dead_letter)
    }

    /// Starts one OS thread per partition, for code without a tokio runtime: the same
    /// cycle, with a blocking `process`.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::Arc;
    /// let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    ///     .spawn_threads(|batch: Vec<u32>| Ok::<(), String>(()))?;
    /// # drop(handle);
    /// # Ok::<(), elasticq_runtime::ProcessorError>(())
    /// ```
    pub fn spawn_threads<F, E>(self, process: F) -> Result<ThreadProcessorHandle<Q>, ProcessorError>
    where
        F: Fn(Vec<Item<Q>>) -> Result<(), E> + Send + Sync + 'static,
        E: std::fmt::Debug + Send + 'static,
        D: DeadLetter<Item<Q>, E>,
    {
        let settings = self.settings()?;
        thread::spawn(self.queue, settings, process, self.dead_letter)
    }
}

/// What a shutdown left undone, and the processor's final counters.
///
/// ```
/// let report = elasticq_runtime::ShutdownReport::<u32> {
///     stats: Default::default(), unprocessed: vec![], in_progress: 0, remaining: 0, timed_out: false,
/// };
/// assert!(report.is_complete());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShutdownReport<T> {
    /// The processor's counters at the end.
    pub stats: ProcessorStats,
    /// Batches cut off by the timeout while being processed, handed back (a persisted queue
    /// also keeps them in its log, to deliver again after it reopens).
    pub unprocessed: Vec<T>,
    /// Messages in batches that thread workers were still processing at the timeout; they
    /// finish in the background.
    pub in_progress: usize,
    /// Messages left in the queue (pushed during the shutdown, or not reached before the
    /// timeout).
    pub remaining: usize,
    /// Whether the timeout passed before every worker finished.
    pub timed_out: bool,
}

impl<T> ShutdownReport<T> {
    /// Whether everything queued was processed (or given up on after its retries).
    ///
    /// ```
    /// # let report = elasticq_runtime::ShutdownReport::<u32> { stats: Default::default(), unprocessed: vec![7], in_progress: 0, remaining: 0, timed_out: true };
    /// assert!(!report.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        !self.timed_out
            && self.unprocessed.is_empty()
            && self.in_progress == 0
            && self.remaining == 0
    }
}

/// When a worker that drained at `last` drains next; an interval too long to represent is
/// a drain that never comes on its own.
fn next_drain(last: Instant, interval: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(60 * 60 * 24 * 365);
    last.checked_add(interval)
        .or_else(|| last.checked_add(FAR))
        .unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::doc::Jobs;

    fn send_and_sync<T: Send + Sync>() {}

    #[test]
    fn handles_can_be_shared_between_threads() {
        send_and_sync::<ProcessorHandle<Jobs>>();
        send_and_sync::<ThreadProcessorHandle<Jobs>>();
        send_and_sync::<ProcessorBuilder<Jobs>>();
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum() {
        let settings = ProcessorSettings {
            backoff: Duration::from_millis(100),
            ..ProcessorSettings::default()
        };
        let waits: Vec<_> = (1..=4)
            .map(|retry| settings.backoff_before(retry))
            .collect();
        assert_eq!(
            waits,
            [100, 200, 400, 800].map(Duration::from_millis).to_vec()
        );
        assert_eq!(settings.backoff_before(40), MAX_BACKOFF);
        assert_eq!(settings.backoff_before(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn a_far_interval_never_overflows() {
        let now = Instant::now();
        assert!(next_drain(now, Duration::MAX) > now);
    }
}
