//! The processor over a queue on NATS JetStream: one tokio task per partition, pulling that
//! partition's consumers (every level, in the queue's pop order) each interval.
//!
//! What differs from the local processor is where a batch waits while it is handled: on the
//! server. A pulled batch stays unacknowledged, and the server delivers it again, to this
//! process or another, if its ack wait ends first. So:
//!
//! - a batch is acknowledged only after the function succeeded (or after the dead-letter
//!   callback returned, when it is terminated instead): a worker, or a whole process, that
//!   dies while handling it leaves it to be delivered again;
//! - while the function runs and while a retry waits out its backoff, the worker tells the
//!   server the batch is in progress, a third of the ack wait apart, so a slow batch is not
//!   handed to another consumer meanwhile;
//! - processes running the same processor pull from the same durable consumers and so share
//!   every partition: each message goes to one of them;
//! - a shutdown that times out hands the batches in hand back (`nack`) for the other
//!   processes, and reports their messages as unprocessed.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::message::AckKind;
use tokio::task::JoinHandle;

use super::control::Control;
use super::outcome::Report;
use super::task::{current_runtime, join_workers, run_worker, CatchUnwind};
use super::{
    Cause, DeadLetter, Failure, ProcessorBuilder, ProcessorError, ProcessorOptions,
    ProcessorSettings, ProcessorSource, ProcessorStats, ShutdownReport,
};
use crate::jetstream::{JetStreamDelivery, JetStreamQueue};
use crate::queue::{ProcessingEvent, ProcessingMetrics};
use crate::{Codec, Message};

impl<M> ProcessorSource for JetStreamQueue<M> {
    type Item = M;

    fn source_name(&self) -> &'static str {
        let name = std::any::type_name::<M>();
        name.rsplit("::").next().unwrap_or(name)
    }
}

impl<M, D> ProcessorBuilder<JetStreamQueue<M>, D>
where
    M: Message + Codec + Clone + Send + Sync + 'static,
{
    /// Starts one tokio task per partition of the JetStream queue, calling `process` with
    /// each batch pulled from it; a batch is acknowledged once `process` succeeds. Its
    /// future's `Err` (or a panic) fails the batch, which is retried while the server holds
    /// it, then handed to the dead-letter callback (or dropped) and terminated.
    ///
    /// # Panics
    /// Outside a tokio runtime (or in one without its timer), or with an invalid setting;
    /// [`try_spawn`](Self::try_spawn) returns those as errors.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{JetStreamQueue, ProcessorBuilder};
    /// # async fn run(queue: std::sync::Arc<JetStreamQueue<Note>>) {
    /// let handle = ProcessorBuilder::new(queue)
    ///     .batch_size(100)
    ///     .spawn(|batch: Vec<Note>| async move {
    ///         println!("{} messages", batch.len());
    ///         Ok::<(), String>(())
    ///     });
    /// let report = handle.shutdown().await;
    /// # drop(report);
    /// # }
    /// ```
    pub fn spawn<F, Fut, E>(self, process: F) -> JetStreamProcessorHandle<M>
    where
        F: Fn(Vec<M>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Debug + Send + 'static,
        D: DeadLetter<M, E>,
    {
        match self.try_spawn(process) {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// Like [`spawn`](Self::spawn), but an invalid setting, a missing runtime or a runtime
    /// without its timer is an error.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{JetStreamQueue, ProcessorBuilder, ProcessorError};
    /// # async fn run(queue: std::sync::Arc<JetStreamQueue<Note>>) -> Result<(), ProcessorError> {
    /// let handle = ProcessorBuilder::new(queue)
    ///     .try_spawn(|batch: Vec<Note>| async move { Ok::<(), String>(()) })?;
    /// # drop(handle);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_spawn<F, Fut, E>(
        self,
        process: F,
    ) -> Result<JetStreamProcessorHandle<M>, ProcessorError>
    where
        F: Fn(Vec<M>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Debug + Send + 'static,
        D: DeadLetter<M, E>,
    {
        let settings = self.settings()?;
        let runtime = current_runtime()?;
        let partitions = self.queue.partitions();
        let shared = Arc::new(Shared {
            control: Control::new(settings, partitions),
            in_hand: (0..partitions)
                .map(|_| tokio::sync::Mutex::new(Vec::new()))
                .collect(),
        });
        let process = Arc::new(process);
        let dead_letter = Arc::new(self.dead_letter);
        let workers = (0..partitions)
            .map(|partition| {
                let worker = Worker {
                    queue: Arc::clone(&self.queue),
                    shared: Arc::clone(&shared),
                    process: Arc::clone(&process),
                    dead_letter: Arc::clone(&dead_letter),
                    partition,
                };
                runtime.spawn(worker.run())
            })
            .collect();
        Ok(JetStreamProcessorHandle {
            queue: self.queue,
            shared,
            workers,
        })
    }
}

/// What the handle shares with its workers.
struct Shared<M> {
    /// Settings, stop and counters. Its `in_flight` slots stay empty: the batches in hand
    /// are the deliveries below.
    control: Control<Vec<M>>,
    /// Per partition, the deliveries of the batch being handled: what a shutdown that times
    /// out hands back.
    in_hand: Vec<tokio::sync::Mutex<Vec<JetStreamDelivery<M>>>>,
}

/// A running processor over a JetStream queue, returned by
/// [`ProcessorBuilder::spawn`](crate::ProcessorBuilder::spawn) on a
/// [`JetStreamQueue`](crate::JetStreamQueue) (a generated JetStream queue's `processor()`).
///
/// Dropping the handle stops the workers' timers; each then processes what its partition
/// holds and exits in the background. [`shutdown`](Self::shutdown) does the same and waits.
///
/// ```no_run
/// # use elasticq_runtime::__doc::Note;
/// # use elasticq_runtime::{JetStreamQueue, ProcessorBuilder, ProcessorOptions};
/// # async fn run(queue: std::sync::Arc<JetStreamQueue<Note>>) {
/// let handle = ProcessorBuilder::new(queue)
///     .spawn(|batch: Vec<Note>| async move { Ok::<(), String>(()) });
/// handle
///     .update_options(ProcessorOptions::new().batch_size(500))
///     .expect("a valid batch size");
/// let report = handle.shutdown().await;
/// println!("processed {}", report.stats.processed);
/// # }
/// ```
pub struct JetStreamProcessorHandle<M> {
    queue: Arc<JetStreamQueue<M>>,
    shared: Arc<Shared<M>>,
    workers: Vec<JoinHandle<()>>,
}

impl<M> std::fmt::Debug for JetStreamProcessorHandle<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamProcessorHandle")
            .field("queue", &self.queue.source_name())
            .field("workers", &self.workers.len())
            .field("settings", &self.shared.control.state().settings)
            .finish()
    }
}

impl<M: Message + Codec> JetStreamProcessorHandle<M> {
    /// Changes the settings of the running workers: only the options set change. An invalid
    /// value is an error and changes nothing.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{JetStreamProcessorHandle, ProcessorOptions, ProcessorError};
    /// # fn run(handle: &JetStreamProcessorHandle<Note>) -> Result<(), ProcessorError> {
    /// handle.update_options(ProcessorOptions::new().interval(std::time::Duration::from_millis(10)))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update_options(&self, options: ProcessorOptions) -> Result<(), ProcessorError> {
        self.shared.control.update(&options)
    }

    /// The settings the workers run with now.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # fn run(handle: &elasticq_runtime::JetStreamProcessorHandle<Note>) {
    /// println!("{:?}", handle.settings().batch_size);
    /// # }
    /// ```
    pub fn settings(&self) -> ProcessorSettings {
        self.shared.control.state().settings
    }

    /// The processor's counters so far (this process's workers only).
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # fn run(handle: &elasticq_runtime::JetStreamProcessorHandle<Note>) {
    /// println!("{} processed", handle.stats().processed);
    /// # }
    /// ```
    pub fn stats(&self) -> ProcessorStats {
        self.shared.control.counters.snapshot()
    }

    /// Stops the timers, processes what the partitions still hold (each worker drains its
    /// partition until a pull finds nothing), and waits at most the `timeout` setting. The
    /// batches cut off at the timeout are handed back to the server (`nack`) and reported as
    /// unprocessed; `remaining` is what the stream still holds, other processes' messages
    /// included (0 if the server could not be asked).
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # async fn run(handle: elasticq_runtime::JetStreamProcessorHandle<Note>) {
    /// let report = handle.shutdown().await;
    /// assert!(report.is_complete() || report.timed_out || report.remaining > 0);
    /// # }
    /// ```
    pub async fn shutdown(mut self) -> ShutdownReport<M> {
        self.shared.control.stop();
        let timeout = self.shared.control.state().settings.timeout;
        let timed_out = join_workers(&mut self.workers, timeout).await;
        let mut unprocessed = Vec::new();
        for slot in &self.shared.in_hand {
            let batch = std::mem::take(&mut *slot.lock().await);
            if let (_, Some(error)) =
                JetStreamDelivery::settle_each(&batch, AckKind::Nak(None)).await
            {
                tracing::warn!(target: "elasticq::processor", error = %error,
                    "handing back a batch cut off by the shutdown failed; it is delivered again once its ack wait ends");
            }
            unprocessed.extend(batch.into_iter().map(|delivery| delivery.message));
        }
        let remaining = match self.queue.stream_len().await {
            Ok(len) => len,
            Err(error) => {
                tracing::warn!(target: "elasticq::processor", error = %error,
                    "the stream's count is unknown at shutdown");
                0
            }
        };
        ShutdownReport {
            stats: self.shared.control.counters.snapshot(),
            unprocessed,
            in_progress: 0,
            remaining,
            timed_out,
        }
    }
}

impl<M> Drop for JetStreamProcessorHandle<M> {
    fn drop(&mut self) {
        self.shared.control.stop();
    }
}

/// A labelled JetStream queue records its processor's events in its series.
impl<M: Send + Sync> ProcessingMetrics for JetStreamQueue<M> {
    fn processing_event(&self, event: ProcessingEvent) {
        JetStreamQueue::processing_event(self, event);
    }
}

struct Worker<M, F, D> {
    queue: Arc<JetStreamQueue<M>>,
    shared: Arc<Shared<M>>,
    process: Arc<F>,
    dead_letter: Arc<D>,
    partition: usize,
}

impl<M, F, Fut, E, D> Worker<M, F, D>
where
    M: Message + Codec + Clone + Send + Sync + 'static,
    F: Fn(Vec<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Debug + Send + 'static,
    D: DeadLetter<M, E>,
{
    fn report(&self) -> Report<'_> {
        Report {
            queue: self.queue.source_name(),
            partition: self.partition,
            counters: &self.shared.control.counters,
            metrics: &*self.queue,
        }
    }

    async fn run(self) {
        run_worker(self.report(), &self.shared.control, || self.drain()).await;
    }

    /// Processes batches until a pull of the partition finds nothing.
    async fn drain(&self) {
        loop {
            let settings = self.shared.control.state().settings;
            let batch = match self
                .queue
                .take_now(self.partition, settings.batch_size)
                .await
            {
                Ok(batch) => batch,
                Err(error) => {
                    // The server is away: what was pulled stays unacknowledged and comes
                    // back; the next interval pulls again.
                    tracing::warn!(target: "elasticq::processor", partition = self.partition,
                        error = %error, "pulling a batch failed; trying again next interval");
                    return;
                }
            };
            if batch.is_empty() {
                return;
            }
            let full = batch.len() == settings.batch_size;
            self.process(batch, settings).await;
            if !full {
                return;
            }
        }
    }

    async fn process(&self, batch: Vec<JetStreamDelivery<M>>, settings: ProcessorSettings) {
        let size = batch.len();
        let items: Vec<M> = batch.iter().map(|d| d.message.clone()).collect();
        *self.shared.in_hand[self.partition].lock().await = batch;
        let report = self.report();
        let mut attempt = 1;
        loop {
            report.processing_started(size, attempt);
            let started = Instant::now();
            let tried = self
                .keeping_alive(CatchUnwind::call(&*self.process, items.clone()))
                .await;
            let cause = match tried {
                Ok(Ok(())) => {
                    report.processed(size, started.elapsed());
                    return self.settle(AckKind::Ack, "acknowledging").await;
                }
                Ok(Err(error)) => Cause::Error(error),
                Err(panic) => Cause::Panic(panic),
            };
            report.failed(size, attempt, &cause, started.elapsed());
            if attempt > settings.retries {
                let failure = Failure {
                    partition: self.partition,
                    attempts: attempt,
                    cause,
                };
                report.give_up(&*self.dead_letter, items, failure);
                return self.settle(AckKind::Term, "terminating").await;
            }
            let wait = settings.backoff_before(attempt);
            attempt += 1;
            self.keeping_alive(tokio::time::sleep(wait)).await;
        }
    }

    /// Settles the batch in hand: acknowledged once processed, terminated once given up on.
    async fn settle(&self, kind: AckKind, doing: &str) {
        let batch = std::mem::take(&mut *self.shared.in_hand[self.partition].lock().await);
        if let (_, Some(error)) = JetStreamDelivery::settle_each(&batch, kind).await {
            let then = format!(
                "{doing} a handled batch failed; the server delivers it again once its ack wait ends"
            );
            self.report().ack_failed(batch.len(), &error, &then);
        }
    }

    /// Runs `work` while telling the server, every third of the ack wait, that the batch in
    /// hand is still being worked on.
    async fn keeping_alive<T>(&self, work: impl Future<Output = T>) -> T {
        let every = (self.queue.options().ack_wait / 3).max(Duration::from_millis(1));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tokio::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return done,
                _ = ticks.tick() => {
                    let batch = self.shared.in_hand[self.partition].lock().await;
                    if let (_, Some(error)) = JetStreamDelivery::settle_each(&batch, AckKind::Progress).await {
                        tracing::warn!(target: "elasticq::processor", partition = self.partition,
                            error = %error, "telling the server a batch is in progress failed");
                    }
                }
            }
        }
    }
}
