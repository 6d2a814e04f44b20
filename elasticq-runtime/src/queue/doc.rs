//! A small hand-written [`GeneratedQueue`](crate::GeneratedQueue), so the runtime's own
//! examples of the async calls and the processor compile and run without the derive.

use crate::config::Config;
use crate::engine::{Engine, LockedQueue};
use crate::error::PushError;
use crate::queue::{GeneratedQueue, Signals};

/// A queue of `u32` jobs, implemented as the derive would implement it.
#[derive(Debug)]
pub struct Jobs {
    inner: LockedQueue<u32>,
    signals: Signals,
}

impl Jobs {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            inner: LockedQueue::with_config(Config::new()).unwrap_or_else(|_| unreachable!()),
            signals: Signals::new(),
        }
    }

    /// An empty queue that holds at most `max` jobs.
    pub fn bounded(max: usize) -> Self {
        let config = Config::new()
            .initial_capacity(max)
            .min_capacity(max)
            .max_capacity(max);
        Self {
            inner: LockedQueue::with_config(config).unwrap_or_else(|_| unreachable!()),
            signals: Signals::new(),
        }
    }

    /// Pushes a job.
    pub fn push(&self, job: u32) {
        let _ = GeneratedQueue::push(self, job);
    }

    /// Closes the queue.
    pub fn close(&self) {
        self.inner.close();
        self.signals.closed();
    }

    /// How many jobs are queued.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether no job is queued.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

impl GeneratedQueue for Jobs {
    type Message = u32;
    type Item = u32;
    type Batch = Vec<u32>;
    const NAME: &'static str = "Jobs";

    fn signals(&self) -> &Signals {
        &self.signals
    }

    fn push(&self, message: u32) -> Result<(), PushError<u32>> {
        let pushed = self.inner.push(message);
        if pushed.is_ok() {
            self.signals.pushed(1);
        }
        pushed
    }

    fn pop(&self) -> Option<u32> {
        let popped = self.inner.pop();
        if popped.is_some() {
            self.signals.popped();
        }
        popped
    }

    fn pop_batch(&self, max: usize) -> Vec<u32> {
        let batch = self.inner.pop_batch(max);
        if !batch.is_empty() {
            self.signals.popped();
        }
        batch
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn count_partitions(&self) -> usize {
        1
    }

    fn take(&self, _partition: usize, max: usize) -> Vec<u32> {
        let batch = self.inner.pop_batch(max);
        if !batch.is_empty() {
            self.signals.popped();
        }
        batch
    }
}
