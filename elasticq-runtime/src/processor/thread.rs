//! The thread-based processor, for code without a tokio runtime: one thread per partition.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Instant;

use super::attempts::{AfterFailure, Attempts};
use super::control::Control;
use super::outcome::{panic_message, Report};
use super::{
    Cause, DeadLetter, ProcessorError, ProcessorOptions, ProcessorSettings, ProcessorStats,
    ShutdownReport, TakenBatch,
};
use crate::queue::GeneratedQueue;

type Item<Q> = <<Q as GeneratedQueue>::Batch as TakenBatch>::Item;

/// A running thread-based processor, returned by
/// [`ProcessorBuilder::spawn_threads`](crate::ProcessorBuilder::spawn_threads): the same
/// cycle as [`ProcessorHandle`](crate::ProcessorHandle), on one OS thread per partition.
///
/// Dropping the handle stops the workers' timers; each then processes what its partition
/// holds and exits in the background. [`shutdown`](Self::shutdown) does the same and waits.
///
/// ```
/// # use elasticq_runtime::__doc::Jobs;
/// # use std::{sync::Arc, time::Duration};
/// let jobs = Arc::new(Jobs::new());
/// let handle = elasticq_runtime::ProcessorBuilder::new(Arc::clone(&jobs))
///     .interval(Duration::from_millis(10))
///     .spawn_threads(|batch: Vec<u32>| { println!("{batch:?}"); Ok::<(), String>(()) })?;
/// jobs.push(1);
/// let report = handle.shutdown();
/// assert_eq!(report.stats.processed, 1);
/// # Ok::<(), elasticq_runtime::ProcessorError>(())
/// ```
pub struct ThreadProcessorHandle<Q: GeneratedQueue>
where
    Q::Batch: TakenBatch,
{
    queue: Arc<Q>,
    control: Arc<Control<Q::Batch>>,
    workers: Vec<JoinHandle<()>>,
    /// One message per worker that has exited. Behind a lock only so the handle is `Sync`
    /// (a receiver is not), like the tokio handle.
    finished: parking_lot::Mutex<mpsc::Receiver<()>>,
}

impl<Q: GeneratedQueue> std::fmt::Debug for ThreadProcessorHandle<Q>
where
    Q::Batch: TakenBatch,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadProcessorHandle")
            .field("queue", &Q::NAME)
            .field("workers", &self.workers.len())
            .field("settings", &self.control.state().settings)
            .finish()
    }
}

pub(crate) fn spawn<Q, F, E, D>(
    queue: Arc<Q>,
    settings: ProcessorSettings,
    process: F,
    dead_letter: D,
) -> Result<ThreadProcessorHandle<Q>, ProcessorError>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch,
    F: Fn(Vec<Item<Q>>) -> Result<(), E> + Send + Sync + 'static,
    E: std::fmt::Debug + Send + 'static,
    D: DeadLetter<Item<Q>, E>,
{
    let partitions = queue.count_partitions();
    let control = Arc::new(Control::new(settings, partitions));
    let process = Arc::new(process);
    let dead_letter = Arc::new(dead_letter);
    let mut workers = Vec::with_capacity(partitions);
    let (finished_tx, finished) = mpsc::channel();
    for partition in 0..partitions {
        let done = Done(finished_tx.clone());
        let worker = Worker {
            queue: Arc::clone(&queue),
            control: Arc::clone(&control),
            process: Arc::clone(&process),
            dead_letter: Arc::clone(&dead_letter),
            partition,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("{}-processor-{partition}", Q::NAME))
            .spawn(move || {
                worker.run();
                drop(done);
            });
        match spawned {
            Ok(handle) => workers.push(handle),
            Err(_) => {
                control.stop();
                return Err(ProcessorError::ThreadSpawn);
            }
        }
    }
    Ok(ThreadProcessorHandle {
        queue,
        control,
        workers,
        finished: parking_lot::Mutex::new(finished),
    })
}

impl<Q: GeneratedQueue> ThreadProcessorHandle<Q>
where
    Q::Batch: TakenBatch,
{
    /// Changes the settings of the running workers, as
    /// [`ProcessorHandle::update_options`](crate::ProcessorHandle::update_options) does.
    ///
    /// ```
    /// # use elasticq_runtime::{__doc::Jobs, ProcessorOptions};
    /// # use std::{sync::Arc, time::Duration};
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    /// #     .spawn_threads(|_: Vec<u32>| Ok::<(), String>(()))?;
    /// handle.update_options(ProcessorOptions::new().interval(Duration::from_millis(10)))?;
    /// assert!(handle.update_options(ProcessorOptions::new().interval(Duration::ZERO)).is_err());
    /// # Ok::<(), elasticq_runtime::ProcessorError>(())
    /// ```
    pub fn update_options(&self, options: ProcessorOptions) -> Result<(), ProcessorError> {
        self.control.update(&options)
    }

    /// The settings the workers run with now.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::{mpsc, Arc};
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    /// #     .batch_size(7).spawn_threads(|_: Vec<u32>| Ok::<(), String>(()))?;
    /// assert_eq!(handle.settings().batch_size, 7);
    /// # Ok::<(), elasticq_runtime::ProcessorError>(())
    /// ```
    pub fn settings(&self) -> ProcessorSettings {
        self.control.state().settings
    }

    /// The processor's counters so far.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::{mpsc, Arc};
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::new(Jobs::new()))
    /// #     .spawn_threads(|_: Vec<u32>| Ok::<(), String>(()))?;
    /// assert_eq!(handle.stats().processed, 0);
    /// # Ok::<(), elasticq_runtime::ProcessorError>(())
    /// ```
    pub fn stats(&self) -> ProcessorStats {
        self.control.counters.snapshot()
    }

    /// Stops the timers, processes everything still queued, and waits at most the `timeout`
    /// setting, as [`ProcessorHandle::shutdown`](crate::ProcessorHandle::shutdown) does. A
    /// thread cannot be cut off: workers still busy at the timeout finish in the background
    /// with the batches they hold (counted in `in_progress`; `timed_out` is then true).
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// # use std::sync::{mpsc, Arc};
    /// # let jobs = Arc::new(Jobs::new());
    /// # let handle = elasticq_runtime::ProcessorBuilder::new(Arc::clone(&jobs))
    /// #     .spawn_threads(|_: Vec<u32>| Ok::<(), String>(()))?;
    /// for job in 0..100 { jobs.push(job); }
    /// assert_eq!(handle.shutdown().stats.processed, 100);
    /// # Ok::<(), elasticq_runtime::ProcessorError>(())
    /// ```
    pub fn shutdown(mut self) -> ShutdownReport<Item<Q>> {
        self.control.stop();
        let timeout = self.control.state().settings.timeout;
        let deadline = Instant::now().checked_add(timeout);
        let mut timed_out = false;
        let finished = self.finished.get_mut();
        for _ in 0..self.workers.len() {
            let finished = match deadline {
                Some(deadline) => finished
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    .is_ok(),
                None => finished.recv().is_ok(),
            };
            if !finished {
                timed_out = true;
                break;
            }
        }
        let workers = std::mem::take(&mut self.workers);
        let (in_progress, unprocessed) = if timed_out {
            // A thread cannot be cut off: the batches it holds stay with it.
            (self.control.in_flight_len(), Vec::new())
        } else {
            workers.into_iter().for_each(|worker| drop(worker.join()));
            (0, self.control.take_in_flight())
        };
        ShutdownReport {
            stats: self.control.counters.snapshot(),
            unprocessed,
            in_progress,
            remaining: crate::queue::remaining(&*self.queue),
            timed_out,
        }
    }
}

impl<Q: GeneratedQueue> Drop for ThreadProcessorHandle<Q>
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

impl<Q, F, E, D> Worker<Q, F, D>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch,
    F: Fn(Vec<Item<Q>>) -> Result<(), E> + Send + Sync + 'static,
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

    fn run(self) {
        self.report().partition_started();
        let mut state = self.control.subscribe();
        let mut last_drain = Instant::now();
        let mut now = *state.borrow_and_update();
        while !now.stopping {
            let deadline = super::next_drain(last_drain, now.settings.interval);
            if Instant::now() < deadline {
                now = self.control.sleep_until(deadline, &mut state);
                continue;
            }
            last_drain = Instant::now();
            self.drain();
            now = *state.borrow_and_update();
        }
        self.drain();
        self.report().partition_stopped("shutdown");
    }

    fn drain(&self) {
        loop {
            let settings = self.control.state().settings;
            let batch = self.queue.take(self.partition, settings.batch_size);
            if batch.is_empty() {
                return;
            }
            let full = batch.len() == settings.batch_size;
            self.process(batch, settings);
            if !full {
                return;
            }
        }
    }

    fn process(&self, batch: Q::Batch, settings: ProcessorSettings) {
        let slot = &self.control.in_flight[self.partition];
        let mut attempts = Attempts::start(slot, self.report(), batch, settings);
        while let Some(items) = attempts.next_try(|size| self.queue.take(self.partition, size)) {
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| (self.process)(items)));
            let cause = match outcome {
                Ok(Ok(())) => return attempts.succeeded(started.elapsed()),
                Ok(Err(error)) => Cause::Error(error),
                Err(panic) => Cause::Panic(panic_message(panic.as_ref())),
            };
            match attempts.failed(cause, started.elapsed()) {
                AfterFailure::Retry(wait) => std::thread::sleep(wait),
                AfterFailure::GiveUp(cause) => return attempts.give_up(&*self.dead_letter, cause),
            }
        }
    }
}

/// Tells the handle a worker exited, also when it unwinds.
struct Done(mpsc::Sender<()>);

impl Drop for Done {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
