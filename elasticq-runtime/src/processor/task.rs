//! The tokio-based processor: one task per partition.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::attempts::{AfterFailure, Attempts};
use super::control::{Control, State};
use super::outcome::{panic_message, Report};
use super::{
    Cause, DeadLetter, ProcessorError, ProcessorOptions, ProcessorSettings, ProcessorStats,
    ShutdownReport, TakenBatch,
};
use crate::queue::GeneratedQueue;

type Item<Q> = <<Q as GeneratedQueue>::Batch as TakenBatch>::Item;

/// A running tokio-based processor, returned by
/// [`ProcessorBuilder::spawn`](crate::ProcessorBuilder::spawn).
///
/// Dropping the handle stops the workers' timers; each then processes what its partition
/// holds and exits in the background. [`shutdown`](Self::shutdown) does the same and waits.
///
/// ```
/// # use elasticq_runtime::__doc::Jobs;
/// # use std::{sync::Arc, time::Duration};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let jobs = Arc::new(Jobs::new());
/// let handle = elasticq_runtime::ProcessorBuilder::new(Arc::clone(&jobs))
///     .interval(Duration::from_millis(10))
///     .spawn(|batch: Vec<u32>| async move { println!("{batch:?}"); Ok::<(), String>(()) });
/// jobs.push(1);
/// let report = handle.shutdown().await;
/// assert_eq!(report.stats.processed, 1);
/// # });
/// ```
pub struct ProcessorHandle<Q: GeneratedQueue>
where
    Q::Batch: TakenBatch,
{
    queue: Arc<Q>,
    control: Arc<Control<Q::Batch>>,
    workers: Vec<JoinHandle<()>>,
}

impl<Q: GeneratedQueue> std::fmt::Debug for ProcessorHandle<Q>
where
    Q::Batch: TakenBatch,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorHandle")
            .field("queue", &Q::NAME)
            .field("workers", &self.workers.len())
            .field("settings", &self.control.state().settings)
            .finish()
    }
}

pub(crate) fn spawn<Q, F, Fut, E, D>(
    queue: Arc<Q>,
    settings: ProcessorSettings,
    process: F,
    dead_letter: D,
) -> Result<ProcessorHandle<Q>, ProcessorError>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch,
    F: Fn(Vec<Item<Q>>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Debug + Send + 'static,
    D: DeadLetter<Item<Q>, E>,
{
    let runtime = current_runtime()?;
    let partitions = queue.count_partitions();
    let control = Arc::new(Control::new(settings, partitions));
    let process = Arc::new(process);
    let dead_letter = Arc::new(dead_letter);
    let workers = (0..partitions)
        .map(|partition| {
            let worker = Worker {
                queue: Arc::clone(&queue),
                control: Arc::clone(&control),
                process: Arc::clone(&process),
                dead_letter: Arc::clone(&dead_letter),
                partition,
            };
            runtime.spawn(worker.run())
        })
        .collect();
    Ok(ProcessorHandle {
        queue,
        control,
        workers,
    })
}

/// The runtime the workers are spawned on: the caller's, with its timer.
pub(super) fn current_runtime() -> Result<tokio::runtime::Handle, ProcessorError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| ProcessorError::NoRuntime)?;
    // Workers sleep between drains: a runtime built without its timer would make each of them
    // panic at its first tick. tokio offers no query for the timer; creating a sleep panics
    // without one, so a caught panic here is that answer.
    let timer = std::panic::catch_unwind(|| drop(tokio::time::sleep(std::time::Duration::ZERO)));
    if timer.is_err() {
        return Err(ProcessorError::NoTimer);
    }
    Ok(runtime)
}

/// Waits for the workers to end, at most `timeout`; aborts those still running then (each
/// is dropped, with the batch it held, before this returns). Returns whether it timed out.
pub(super) async fn join_workers(
    workers: &mut Vec<JoinHandle<()>>,
    timeout: std::time::Duration,
) -> bool {
    // Why checked: `Instant + Duration::MAX` panics, and a timeout too long to represent
    // (PartitionedBuffer's `:infinity`) means waiting as long as it takes, as the thread
    // variant does.
    let deadline = tokio::time::Instant::now().checked_add(timeout);
    let mut timed_out = false;
    // The workers before `finished` have ended and their handles resolved: a resolved
    // handle must not be polled again.
    let mut finished = 0;
    for worker in workers.iter_mut() {
        let ended = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, &mut *worker)
                .await
                .is_ok(),
            None => {
                let _ = (&mut *worker).await;
                true
            }
        };
        if !ended {
            timed_out = true;
            break;
        }
        finished += 1;
    }
    if timed_out {
        let running = &mut workers[finished..];
        for worker in running.iter_mut() {
            worker.abort();
        }
        for worker in running.iter_mut() {
            // An aborted task is dropped (with the batch it held) before its handle
            // resolves; the batch itself was parked in `in_flight` first.
            let _ = worker.await;
        }
    }
    workers.clear();
    timed_out
}

/// A worker's life, whatever it drains: `drain` every interval until the processor stops,
/// then once more for what the partition still holds.
pub(super) async fn run_worker<B, Fut: Future<Output = ()>>(
    report: Report<'_>,
    control: &Control<B>,
    mut drain: impl FnMut() -> Fut,
) {
    report.partition_started();
    let mut state = control.subscribe();
    let mut last_drain = Instant::now();
    while next_drain_due(&mut state, &mut last_drain).await {
        drain().await;
    }
    drain().await;
    report.partition_stopped("shutdown");
}

/// Waits until a partition's next drain is due: its interval since `last_drain` passed
/// (a change of settings counts from the same drain). Returns `false` once the processor
/// stops.
async fn next_drain_due(state: &mut watch::Receiver<State>, last_drain: &mut Instant) -> bool {
    loop {
        let now = *state.borrow_and_update();
        if now.stopping {
            return false;
        }
        let deadline = super::next_drain(*last_drain, now.settings.interval);
        tokio::select! {
            biased;
            changed = state.changed() => {
                if changed.is_err() {
                    return false;
                }
            }
            () = tokio::time::sleep_until(deadline.into()) => {
                *last_drain = Instant::now();
                return true;
            }
        }
    }
}

impl<Q: GeneratedQueue> ProcessorHandle<Q>
where
    Q::Batch: TakenBatch,
{
    /// Changes the settings of the running workers: only the options set change. An invalid
    /// value is an error and changes nothing. A new interval applies from the workers' last
    /// drain: shortening it on a worker waiting out a long interval drains at once.
    ///
    /// ```
    /// # use elasticq_runtime::{__doc::Jobs, ProcessorOptions, ProcessorError};
    /// # use std::{sync::Arc, time::Duration};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let jobs = Arc::new(Jobs::new());
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(jobs)
    /// #     .spawn(|_: Vec<u32>| async { Ok::<(), String>(()) });
    /// handle.update_options(ProcessorOptions::new().interval(Duration::from_millis(10)))?;
    /// assert!(matches!(
    ///     handle.update_options(ProcessorOptions::new().batch_size(0)),
    ///     Err(ProcessorError::InvalidOption { option: "batch_size", .. })
    /// ));
    /// assert_eq!(handle.settings().interval, Duration::from_millis(10));
    /// # Ok::<(), ProcessorError>(())
    /// # }).unwrap();
    /// ```
    pub fn update_options(&self, options: ProcessorOptions) -> Result<(), ProcessorError> {
        self.control.update(&options)
    }

    /// The settings the workers run with now.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    /// #     .batch_size(50).spawn(|_: Vec<u32>| async { Ok::<(), String>(()) });
    /// assert_eq!(handle.settings().batch_size, 50);
    /// # });
    /// ```
    pub fn settings(&self) -> ProcessorSettings {
        self.control.state().settings
    }

    /// The processor's counters so far.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    /// #     .spawn(|_: Vec<u32>| async { Ok::<(), String>(()) });
    /// assert_eq!(handle.stats().failures, 0);
    /// # });
    /// ```
    pub fn stats(&self) -> ProcessorStats {
        self.control.counters.snapshot()
    }

    /// Stops the timers, processes everything still queued (each worker drains its
    /// partition), and waits at most the `timeout` setting. The report says what was
    /// processed, and hands back what was not: the batches cut off at the timeout (a persisted
    /// queue also keeps them in its log) and the count left in the queue.
    ///
    /// To process everything, stop the producers (or [`close`](crate::Engine::close) the
    /// queue) first: messages pushed during the shutdown are processed only until the
    /// timeout.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let jobs = Arc::new(Jobs::new());
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::clone(&jobs))
    /// #     .spawn(|_: Vec<u32>| async { Ok::<(), String>(()) });
    /// for job in 0..100 { jobs.push(job); }
    /// let report = handle.shutdown().await;
    /// assert_eq!(report.stats.processed, 100);
    /// assert!(report.is_complete());
    /// # });
    /// ```
    pub async fn shutdown(mut self) -> ShutdownReport<Item<Q>> {
        self.control.stop();
        let timeout = self.control.state().settings.timeout;
        let timed_out = join_workers(&mut self.workers, timeout).await;
        ShutdownReport {
            stats: self.control.counters.snapshot(),
            unprocessed: self.control.take_in_flight(),
            in_progress: 0,
            remaining: crate::queue::remaining(&*self.queue),
            timed_out,
        }
    }
}

impl<Q: GeneratedQueue> Drop for ProcessorHandle<Q>
where
    Q::Batch: TakenBatch,
{
    fn drop(&mut self) {
        self.control.stop();
    }
}

struct Worker<Q: GeneratedQueue, F, D>
where
    Q::Batch: TakenBatch,
{
    queue: Arc<Q>,
    control: Arc<Control<Q::Batch>>,
    process: Arc<F>,
    dead_letter: Arc<D>,
    partition: usize,
}

impl<Q, F, Fut, E, D> Worker<Q, F, D>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch,
    F: Fn(Vec<Item<Q>>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Debug + Send + 'static,
    D: DeadLetter<Item<Q>, E>,
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

    /// Processes batches until the partition is empty.
    async fn drain(&self) {
        loop {
            let settings = self.control.state().settings;
            let batch = self.queue.take(self.partition, settings.batch_size);
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

    async fn process(&self, batch: Q::Batch, settings: ProcessorSettings) {
        let slot = &self.control.in_flight[self.partition];
        let mut attempts = Attempts::start(slot, self.report(), batch, settings);
        while let Some(items) = attempts.next_try(|size| self.queue.take(self.partition, size)) {
            let started = Instant::now();
            let cause = match CatchUnwind::call(&*self.process, items).await {
                Ok(Ok(())) => return attempts.succeeded(started.elapsed()),
                Ok(Err(error)) => Cause::Error(error),
                Err(panic) => Cause::Panic(panic),
            };
            match attempts.failed(cause, started.elapsed()) {
                AfterFailure::Retry(wait) => tokio::time::sleep(wait).await,
                AfterFailure::GiveUp(cause) => return attempts.give_up(&*self.dead_letter, cause),
            }
        }
    }
}

/// Runs the processor function on a batch, turning a panic (while it is called or while its
/// future runs) into an `Err` with the panic's message.
pub(super) struct CatchUnwind<Fut>(Pin<Box<Fut>>);

impl<Fut: Future> CatchUnwind<Fut> {
    pub(super) async fn call<I, F>(process: &F, items: Vec<I>) -> Result<Fut::Output, String>
    where
        F: Fn(Vec<I>) -> Fut,
    {
        match catch_unwind(AssertUnwindSafe(|| process(items))) {
            Ok(future) => CatchUnwind(Box::pin(future)).await,
            Err(panic) => Err(panic_message(panic.as_ref())),
        }
    }
}

impl<Fut: Future> Future for CatchUnwind<Fut> {
    type Output = Result<Fut::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic_message(panic.as_ref()))),
        }
    }
}
