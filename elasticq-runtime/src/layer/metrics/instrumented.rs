//! A queue composition with metrics: what a labelled generated queue holds, and the wrapper
//! for code that uses the runtime without the derive.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::observable::Observable;
use super::publisher::{self, Publish};
use super::sampled;
use super::series::Series;
use crate::config::Config;
use crate::engine::{sojourn, Engine, Hooks, Room, TimeInQueue};
use crate::error::{Error, PopError, PushError};
use crate::layer::Lane;
use crate::queue::ProcessingEvent;
use crate::stats::Stats;

/// Wraps an engine, a layer or a persisted queue and reports its counters, depth, capacity
/// (per partition and level too), sampled push/pop durations and, for a persisted queue, its
/// log's bytes and syncs, through the `metrics` facade under the label `queue = label`.
///
/// The counters come from the composition's own [`Stats`], published once a second by a
/// background thread, by [`publish_metrics`](Self::publish_metrics), and on drop; a push or
/// pop pays a thread-local increment, and one in [`SAMPLE_EVERY`](super::SAMPLE_EVERY) per
/// thread is timed. Handles are registered in [`new`](Self::new), with the recorder installed
/// then: install the recorder first. It derefs to the wrapped composition.
///
/// ```
/// use elasticq_runtime::{Config, Engine, Instrumented, LockFreeQueue};
///
/// let queue = Instrumented::new(LockFreeQueue::new(Config::new())?, "ingest");
/// queue.push(1u64).unwrap();
/// assert_eq!(queue.pop(), Some(1));
/// queue.publish_metrics(); // elasticq_messages_enqueued_total{queue="ingest"} = 1, ...
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct Instrumented<T, E: Observable<T>> {
    shared: Arc<Shared<T, E>>,
}

struct Shared<T, E> {
    engine: E,
    series: Series,
    message: PhantomData<fn(T) -> T>,
}

impl<T, E: Observable<T>> Shared<T, E> {
    fn publish(&self) {
        self.series.publish(&self.engine.observed_stats());
        if let Some(figures) = self.engine.observed_log() {
            self.series.publish_log(&figures);
        }
    }
}

impl<T, E: Observable<T> + Send + Sync> Publish for Shared<T, E> {
    fn publish(&self) {
        Shared::publish(self);
    }
}

impl<T: 'static, E: Observable<T> + Send + Sync + 'static> Instrumented<T, E> {
    /// Instruments `engine` under `label`, registering its series with the current recorder.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Instrumented, LockedQueue};
    /// let queue = Instrumented::new(LockedQueue::<u8>::new(Config::new())?, "audit");
    /// assert_eq!(queue.label(), "audit");
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn new(mut engine: E, label: &str) -> Self {
        let partitions = engine.observed_stats().partitions.len();
        let persisted = engine.observed_log().is_some();
        let series = Series::register(
            label,
            partitions,
            engine.observed_levels(),
            engine.observed_level_names(),
            persisted,
        );
        let histogram = series.time_in_queue.clone();
        engine.follow_time_in_queue(&TimeInQueue::new(move |took| {
            histogram.record(took.as_secs_f64());
        }));
        let shared = Arc::new(Shared {
            engine,
            series,
            message: PhantomData,
        });
        let weak = Arc::downgrade(&shared) as std::sync::Weak<dyn Publish>;
        publisher::register(weak);
        Self { shared }
    }
}

impl<T, E: Observable<T>> Instrumented<T, E> {
    /// The label the series carry as `queue`.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Instrumented, LockedQueue};
    /// # let queue = Instrumented::new(LockedQueue::<u8>::new(Config::new())?, "audit");
    /// assert_eq!(queue.label(), "audit");
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn label(&self) -> &str {
        &self.shared.series.label
    }

    /// The wrapped composition (also reached through `Deref`).
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Engine, Instrumented, LockedQueue};
    /// # let queue = Instrumented::new(LockedQueue::<u8>::new(Config::new())?, "audit");
    /// assert!(queue.engine().is_empty());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn engine(&self) -> &E {
        &self.shared.engine
    }

    /// Publishes the counters and gauges now, instead of at the next tick of the background
    /// publisher.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Instrumented, LockedQueue};
    /// # let queue = Instrumented::new(LockedQueue::<u8>::new(Config::new())?, "audit");
    /// queue.publish_metrics();
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn publish_metrics(&self) {
        self.shared.publish();
    }

    /// Records what a processor over the queue reported: a batch accepted (and how long the
    /// call took), a failed try, a retry, a batch dead-lettered or dropped, an
    /// acknowledgement that failed.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, Instrumented, LockedQueue, ProcessingEvent};
    /// # let queue = Instrumented::new(LockedQueue::<u8>::new(Config::new())?, "audit");
    /// queue.processing_event(ProcessingEvent::Processed { took: std::time::Duration::from_millis(3) });
    /// queue.processing_event(ProcessingEvent::DeadLettered { messages: 2 });
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn processing_event(&self, event: ProcessingEvent) {
        self.shared.series.processing.record(event);
    }

    /// Runs a push, timing one in `SAMPLE_EVERY` per thread. A timed push's message is also
    /// followed to its pop, for the time-in-queue histogram (`engine/sojourn.rs`).
    #[inline]
    pub fn timed_push<R>(&self, push: impl FnOnce() -> R) -> R {
        if sampled() {
            let started = Instant::now();
            let result = sojourn::sampled_push(started, push);
            let took = started.elapsed();
            self.shared.series.push_duration.record(took.as_secs_f64());
            result
        } else {
            push()
        }
    }

    /// Runs a pop, timing one in `SAMPLE_EVERY` per thread.
    #[inline]
    pub fn timed_pop<R>(&self, pop: impl FnOnce() -> R) -> R {
        if sampled() {
            let started = Instant::now();
            let result = pop();
            let took = started.elapsed();
            self.shared.series.pop_duration.record(took.as_secs_f64());
            result
        } else {
            pop()
        }
    }
}

impl<T, E: Observable<T>> Deref for Instrumented<T, E> {
    type Target = E;

    fn deref(&self) -> &E {
        &self.shared.engine
    }
}

impl<T, E: Observable<T>> Drop for Instrumented<T, E> {
    fn drop(&mut self) {
        // The last values, for a queue dropped between two ticks of the publisher.
        self.publish_metrics();
    }
}

impl<T: 'static, E: Lane<T> + Observable<T> + Send + Sync + 'static> Engine<T>
    for Instrumented<T, E>
{
    /// Builds the engine and labels it `elasticq`; use [`Instrumented::new`] to choose the
    /// label.
    fn with_config(config: Config) -> Result<Self, Error> {
        Ok(Self::new(E::with_config(config)?, "elasticq"))
    }

    #[inline]
    fn push(&self, value: T) -> Result<(), PushError<T>> {
        self.timed_push(|| self.shared.engine.push(value))
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        self.timed_pop(|| self.shared.engine.pop())
    }

    fn push_batch<I: IntoIterator<Item = T>>(&self, items: I) -> Result<(), PushError<Vec<T>>> {
        self.shared.engine.push_batch(items)
    }

    fn pop_batch(&self, max: usize) -> Vec<T> {
        self.shared.engine.pop_batch(max)
    }

    fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), PushError<T>> {
        self.shared.engine.push_timeout(value, timeout)
    }

    fn pop_timeout(&self, timeout: Duration) -> Result<T, PopError> {
        self.shared.engine.pop_timeout(timeout)
    }

    fn len(&self) -> usize {
        self.shared.engine.len()
    }

    fn capacity(&self) -> usize {
        self.shared.engine.capacity()
    }

    fn clear(&self) {
        self.shared.engine.clear()
    }

    fn drain(&self) -> Vec<T> {
        self.shared.engine.drain()
    }

    fn close(&self) {
        self.shared.engine.close()
    }

    fn is_closed(&self) -> bool {
        self.shared.engine.is_closed()
    }

    fn stats(&self) -> Stats {
        self.shared.engine.stats()
    }
}

impl<T: 'static, E: Lane<T> + Observable<T> + Send + Sync + 'static> Lane<T>
    for Instrumented<T, E>
{
    fn config(&self) -> &Config {
        self.shared.engine.config()
    }

    fn levels(&self) -> usize {
        self.shared.engine.levels()
    }

    fn level_names(&self) -> &'static [&'static str] {
        self.shared.engine.level_names()
    }

    fn pop_level(&self, level: usize) -> Option<T> {
        self.timed_pop(|| self.shared.engine.pop_level(level))
    }

    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        self.shared.engine.pinned(f)
    }

    fn len_level(&self, level: usize) -> usize {
        self.shared.engine.len_level(level)
    }

    fn room_for(&self, like: Option<&T>) -> Option<&dyn Room<T>>
    where
        T: Send,
    {
        self.shared.engine.room_for(like)
    }

    /// Sets the hooks of the wrapped composition. The publisher holds the queue weakly, so
    /// the queue leaves it while the hooks are set, and waits for a publish under way to
    /// end: for that long, `set_hooks` waits too. (A generated queue sets its hooks before it
    /// wraps its composition, and never waits.)
    fn set_hooks(&mut self, hooks: &Hooks<T>) {
        publisher::unregister(Arc::as_ptr(&self.shared).cast::<()>());
        loop {
            if let Some(shared) = Arc::get_mut(&mut self.shared) {
                shared.engine.set_hooks(hooks);
                break;
            }
            // Only the publisher's thread holds the queue besides us, for one publish.
            std::thread::yield_now();
        }
        let weak = Arc::downgrade(&self.shared) as std::sync::Weak<dyn Publish>;
        publisher::register(weak);
    }

    fn push_retry(&self, value: T) -> Result<(), PushError<T>> {
        self.timed_push(|| self.shared.engine.push_retry(value))
    }
}
