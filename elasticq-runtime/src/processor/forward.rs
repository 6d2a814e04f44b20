//! The outbox bridge: a processor that drains a persisted local queue into a queue on NATS
//! JetStream, so that producers push at local speed and never wait on the network, and a
//! message leaves the local log only once JetStream has stored it.
//!
//! One tokio task per local partition takes a batch of deliveries (unacknowledged), publishes
//! them, and acknowledges them locally once JetStream has acknowledged every publish. So:
//!
//! - **the forwarder dies** (a crash, a SIGKILL, a shutdown that times out) between the publish
//!   and the local acknowledgement: the local log still owes the batch, the next `open`
//!   delivers it again, and it is published again. Each message is published with the
//!   `Nats-Msg-Id` [`Delivery::message_id`] gives it (the log directory's random id, its
//!   partition and its sequence number, the same after a reopen), so JetStream stores it once,
//!   within the stream's `duplicate_window`;
//! - **JetStream is away** (the server down, the network cut): the batch stays in hand and the
//!   publishes JetStream did not acknowledge are tried again at the processor's backoff
//!   (doubling, at most [`MAX_BACKOFF`](super::MAX_BACKOFF)), for as long as it takes. A
//!   forwarder never gives a batch up, since that would lose it: `retries` and the dead letter
//!   do not apply. Meanwhile producers go on pushing into the local log, up to its capacity;
//! - **a message JetStream refuses for good** (one whose priority has no subject) is retried
//!   like the others and counted in `failures` each time: it holds its partition back, where
//!   the logs (`tracing`) name it, rather than vanish.
//!
//! Order: each partition's messages are published in its order, as one pipelined batch; only
//! a retried publish can land after a later one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::control::Control;
use super::outcome::Report;
use super::task::{current_runtime, join_workers, run_worker};
use super::{
    Cause, NoDeadLetter, ProcessorBuilder, ProcessorError, ProcessorOptions, ProcessorSettings,
    ProcessorStats, ShutdownReport,
};
use crate::jetstream::JetStreamQueue;
use crate::persist::Delivery;
use crate::queue::GeneratedQueue;
use crate::{Codec, Message};

impl<Q, M> ProcessorBuilder<Q, NoDeadLetter>
where
    Q: GeneratedQueue<Message = M, Batch = Vec<Delivery<M>>> + Send + Sync + 'static,
    M: Message + Codec + Clone + Send + Sync + 'static,
{
    /// Starts the outbox bridge: one tokio task per partition of this persisted queue, each
    /// forwarding what its partition holds into `target` every interval, in batches of up to
    /// the batch size. A message is acknowledged in the local log only once JetStream has
    /// stored it, and is published with its [`Delivery::message_id`] as its
    /// `Nats-Msg-Id`, so that nothing is lost and nothing is stored twice across a crash of
    /// either side (see the module's documentation in the README, "The outbox bridge").
    ///
    /// The builder's `interval`, `batch_size`, `backoff` and `timeout` (of the shutdown)
    /// apply; `retries` does not: a batch JetStream does not store is tried again until it
    /// does.
    ///
    /// An invalid setting, a missing runtime or one without its timer is an error.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{JetStreamQueue, ProcessorBuilder, ProcessorError};
    /// # use elasticq_runtime::{GeneratedQueue, Delivery};
    /// # async fn run<Q>(outbox: std::sync::Arc<Q>, orders: std::sync::Arc<JetStreamQueue<Note>>) -> Result<(), ProcessorError>
    /// # where Q: GeneratedQueue<Message = Note, Batch = Vec<Delivery<Note>>> + Send + Sync + 'static {
    /// // `outbox` is a persisted queue (its `processor()` gives this builder).
    /// let bridge = ProcessorBuilder::new(outbox)
    ///     .batch_size(500)
    ///     .forward_to(orders)?;
    /// // ... producers push into `outbox` ...
    /// let report = bridge.shutdown().await;
    /// println!("forwarded {}", report.stats.processed);
    /// # Ok(())
    /// # }
    /// ```
    pub fn forward_to(
        self,
        target: Arc<JetStreamQueue<M>>,
    ) -> Result<ForwarderHandle<Q>, ProcessorError> {
        let settings = self.settings()?;
        let runtime = current_runtime()?;
        let partitions = self.queue.count_partitions();
        let control = Arc::new(Control::new(settings, partitions));
        let workers = (0..partitions)
            .map(|partition| {
                let worker = Forwarder {
                    queue: Arc::clone(&self.queue),
                    target: Arc::clone(&target),
                    control: Arc::clone(&control),
                    partition,
                };
                runtime.spawn(worker.run())
            })
            .collect();
        Ok(ForwarderHandle {
            queue: self.queue,
            control,
            workers,
        })
    }
}

/// A running outbox bridge, returned by
/// [`ProcessorBuilder::forward_to`](crate::ProcessorBuilder::forward_to).
///
/// Its stats count in `processed` the messages JetStream stored and the local log let go,
/// and in `failures` the publishes tried again. Dropping the handle stops the timers; each
/// worker then forwards what its partition holds and exits in the background.
/// [`shutdown`](Self::shutdown) does the same and waits.
///
/// ```no_run
/// # use elasticq_runtime::__doc::Note;
/// # use elasticq_runtime::{ForwarderHandle, GeneratedQueue, Delivery};
/// # async fn run<Q>(bridge: ForwarderHandle<Q>)
/// # where Q: GeneratedQueue<Message = Note, Batch = Vec<Delivery<Note>>> {
/// println!("{} forwarded so far", bridge.stats().processed);
/// let report = bridge.shutdown().await;
/// assert!(report.is_complete() || report.timed_out);
/// # }
/// ```
pub struct ForwarderHandle<Q: GeneratedQueue> {
    queue: Arc<Q>,
    control: Arc<Control<Q::Batch>>,
    workers: Vec<JoinHandle<()>>,
}

impl<Q: GeneratedQueue> std::fmt::Debug for ForwarderHandle<Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwarderHandle")
            .field("queue", &Q::NAME)
            .field("workers", &self.workers.len())
            .field("settings", &self.control.state().settings)
            .finish()
    }
}

impl<Q, M> ForwarderHandle<Q>
where
    Q: GeneratedQueue<Message = M, Batch = Vec<Delivery<M>>>,
    M: Clone + Send + 'static,
{
    /// Changes the settings of the running workers: only the options set change. An
    /// invalid value is an error and changes nothing.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{ForwarderHandle, GeneratedQueue, Delivery, ProcessorOptions, ProcessorError};
    /// # fn run<Q>(bridge: &ForwarderHandle<Q>) -> Result<(), ProcessorError>
    /// # where Q: GeneratedQueue<Message = Note, Batch = Vec<Delivery<Note>>> {
    /// bridge.update_options(ProcessorOptions::new().batch_size(1000))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update_options(&self, options: ProcessorOptions) -> Result<(), ProcessorError> {
        self.control.update(&options)
    }

    /// The settings the workers run with now.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{ForwarderHandle, GeneratedQueue, Delivery};
    /// # fn run<Q>(bridge: &ForwarderHandle<Q>)
    /// # where Q: GeneratedQueue<Message = Note, Batch = Vec<Delivery<Note>>> {
    /// println!("{:?}", bridge.settings().interval);
    /// # }
    /// ```
    pub fn settings(&self) -> ProcessorSettings {
        self.control.state().settings
    }

    /// The counters so far: `processed` messages forwarded and let go locally, `failures`
    /// publishes tried again, `ack_failures` local acknowledgements that failed (those
    /// messages are forwarded again after a reopen, and deduplicated).
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{ForwarderHandle, GeneratedQueue, Delivery};
    /// # fn run<Q>(bridge: &ForwarderHandle<Q>)
    /// # where Q: GeneratedQueue<Message = Note, Batch = Vec<Delivery<Note>>> {
    /// let stats = bridge.stats();
    /// println!("{} forwarded, {} publishes retried", stats.processed, stats.failures);
    /// # }
    /// ```
    pub fn stats(&self) -> ProcessorStats {
        self.control.counters.snapshot()
    }

    /// Stops the timers, forwards what the partitions still hold, and waits at most the
    /// `timeout` setting. The batches cut off at the timeout (JetStream away, or too much
    /// left) are reported as unprocessed: they stay owed in the local log, which delivers
    /// them again, to be forwarded, after it reopens. `remaining` is what the local queue
    /// still holds.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # use elasticq_runtime::{ForwarderHandle, GeneratedQueue, Delivery};
    /// # async fn run<Q>(bridge: ForwarderHandle<Q>)
    /// # where Q: GeneratedQueue<Message = Note, Batch = Vec<Delivery<Note>>> {
    /// let report = bridge.shutdown().await;
    /// println!("{} left in the local log", report.unprocessed.len() + report.remaining);
    /// # }
    /// ```
    pub async fn shutdown(mut self) -> ShutdownReport<M> {
        self.control.stop();
        let timeout = self.control.state().settings.timeout;
        let timed_out = join_workers(&mut self.workers, timeout).await;
        ShutdownReport {
            stats: self.control.counters.snapshot(),
            unprocessed: self.control.take_in_flight(),
            in_progress: 0,
            remaining: self.queue.len(),
            timed_out,
        }
    }
}

impl<Q: GeneratedQueue> Drop for ForwarderHandle<Q> {
    fn drop(&mut self) {
        self.control.stop();
    }
}

struct Forwarder<Q: GeneratedQueue, M> {
    queue: Arc<Q>,
    target: Arc<JetStreamQueue<M>>,
    control: Arc<Control<Q::Batch>>,
    partition: usize,
}

impl<Q, M> Forwarder<Q, M>
where
    Q: GeneratedQueue<Message = M, Batch = Vec<Delivery<M>>> + Send + Sync + 'static,
    M: Message + Codec + Clone + Send + Sync + 'static,
{
    fn report(&self) -> Report<'_> {
        Report {
            queue: Q::NAME,
            partition: self.partition,
            counters: &self.control.counters,
            metrics: &*self.queue,
        }
    }

    async fn run(self) {
        run_worker(self.report(), &self.control, || self.drain()).await;
    }

    /// Forwards batches until the partition is empty.
    async fn drain(&self) {
        loop {
            let settings = self.control.state().settings;
            let batch = self.queue.take(self.partition, settings.batch_size);
            if batch.is_empty() {
                return;
            }
            let Some(named) = self.named(&batch) else {
                // The log's id could not be read or written: hand the batch back, at the
                // front of its lanes, and try again next interval.
                batch.into_iter().for_each(Delivery::nack);
                return;
            };
            // Parked where a shutdown that times out takes it back (unacknowledged, so the
            // log keeps it).
            *self.control.in_flight[self.partition].lock() = Some(batch);
            self.forward(named, settings).await;
        }
    }

    /// Each delivery's message with its `Nats-Msg-Id`; `None` if the ids cannot be had.
    fn named(&self, batch: &[Delivery<M>]) -> Option<Vec<(M, String)>> {
        let mut named = Vec::with_capacity(batch.len());
        for delivery in batch {
            match delivery.message_id() {
                Ok(id) => named.push((delivery.message().clone(), id)),
                Err(error) => {
                    tracing::error!(target: "elasticq::processor", queue = Q::NAME,
                        partition = self.partition, error = %error,
                        "the log's id is unavailable; forwarding waits for the next interval");
                    return None;
                }
            }
        }
        Some(named)
    }

    /// Publishes the parked batch until JetStream has stored all of it, then acknowledges
    /// it in the local log.
    async fn forward(&self, mut pending: Vec<(M, String)>, settings: ProcessorSettings) {
        let report = self.report();
        let size = pending.len();
        let mut attempt = 1;
        loop {
            report.processing_started(pending.len(), attempt);
            let started = Instant::now();
            let refused = match self.target.push_batch_with_ids_async(pending).await {
                Ok(()) => break,
                Err(refused) => refused,
            };
            let took = started.elapsed();
            if let Some(first) = refused.first() {
                report.failed(refused.len(), attempt, &Cause::Error(&first.error), took);
            }
            // Only what JetStream did not store is published again, each with its id: a
            // publish it stored but whose acknowledgement was lost is recognised then.
            pending = refused
                .into_iter()
                .map(|push| {
                    // The batch's own ids come back with every refusal.
                    let id = push.msg_id.unwrap_or_else(|| self.target.next_msg_id());
                    (push.message, id)
                })
                .collect();
            tokio::time::sleep(backoff(settings, attempt)).await;
            attempt += 1;
        }
        report.processed(size, Duration::ZERO);
        if let Some(batch) = self.control.in_flight[self.partition].lock().take() {
            report.settle(batch);
        }
    }
}

/// The wait before retry number `retry`: the processor's backoff, doubling, at most
/// [`MAX_BACKOFF`](super::MAX_BACKOFF); never zero, so a forwarder cut off from JetStream
/// does not spin.
fn backoff(settings: ProcessorSettings, retry: u32) -> Duration {
    settings
        .backoff_before(retry)
        .max(Duration::from_millis(10))
}
