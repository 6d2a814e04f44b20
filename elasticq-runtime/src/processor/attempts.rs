//! One batch's way through the processor function, shared by the task and thread workers:
//! the batch is parked where a shutdown can take it back, each try gets a copy, a failed try
//! waits out its backoff, and the end is a settled batch (processed, dead-lettered or
//! dropped).
//!
//! A batch that can be handed back to its queue ([`TakenBatch::hand_back`]: a persisted
//! queue's deliveries, `nack`ed) waits out its backoff there, at the front of its partition,
//! and the retry takes as many messages from the partition again: the failed ones, ahead of
//! everything pushed since. So a retried batch keeps its place before newer messages even
//! when the worker stops during the backoff (the next processor, or the next pop, takes it
//! first). Other batches wait in hand, parked in the worker's slot.

use std::time::Duration;

use parking_lot::Mutex;

use super::outcome::Report;
use super::{Cause, DeadLetter, Failure, ProcessorSettings, TakenBatch};

pub(crate) struct Attempts<'a, B: TakenBatch> {
    /// The worker's in-flight slot: holds the batch while it is tried.
    slot: &'a Mutex<Option<B>>,
    report: Report<'a>,
    settings: ProcessorSettings,
    size: usize,
    /// The try about to run or running, from 1.
    attempt: u32,
    /// The first try's copy, made while the batch was still in hand.
    first: Option<Vec<B::Item>>,
    /// Whether the failed batch was handed back to the queue, to be taken again for the
    /// next try.
    handed_back: bool,
}

/// What follows a failed try.
pub(crate) enum AfterFailure<E> {
    /// Wait this long, then try again.
    Retry(Duration),
    /// The retries are spent: hand the batch to [`Attempts::give_up`].
    GiveUp(Cause<E>),
}

impl<'a, B: TakenBatch> Attempts<'a, B> {
    pub(crate) fn start(
        slot: &'a Mutex<Option<B>>,
        report: Report<'a>,
        batch: B,
        settings: ProcessorSettings,
    ) -> Self {
        let size = batch.len();
        let first = Some(batch.items());
        *slot.lock() = Some(batch);
        Self {
            slot,
            report,
            settings,
            size,
            attempt: 1,
            first,
            handed_back: false,
        }
    }

    /// The items for the next try; `None` if the batch is no longer parked (a shutdown took
    /// it back) or, handed back, could not be taken again (another consumer took it).
    /// `retake(n)` takes up to `n` messages from the batch's partition.
    pub(crate) fn next_try(&mut self, retake: impl FnOnce(usize) -> B) -> Option<Vec<B::Item>> {
        if std::mem::take(&mut self.handed_back) {
            let batch = retake(self.size);
            if batch.is_empty() {
                return None;
            }
            self.size = batch.len();
            *self.slot.lock() = Some(batch);
        }
        let items = match self.first.take() {
            Some(first) => first,
            None => self.slot.lock().as_ref()?.items(),
        };
        self.report.processing_started(self.size, self.attempt);
        Some(items)
    }

    pub(crate) fn succeeded(self, took: Duration) {
        self.report.processed(self.size, took);
        if let Some(batch) = self.slot.lock().take() {
            self.report.settle(batch);
        }
    }

    pub(crate) fn failed<E: std::fmt::Debug>(
        &mut self,
        cause: Cause<E>,
        took: Duration,
    ) -> AfterFailure<E> {
        self.report.failed(self.size, self.attempt, &cause, took);
        if self.attempt > self.settings.retries {
            return AfterFailure::GiveUp(cause);
        }
        let wait = self.settings.backoff_before(self.attempt);
        self.attempt += 1;
        self.hand_back();
        AfterFailure::Retry(wait)
    }

    /// Hands the failed batch back to its queue for the backoff, if it can be.
    fn hand_back(&mut self) {
        let mut slot = self.slot.lock();
        if let Some(batch) = slot.take() {
            match batch.hand_back() {
                Some(kept) => *slot = Some(kept),
                None => self.handed_back = true,
            }
        }
    }

    pub(crate) fn give_up<E: std::fmt::Debug>(
        self,
        dead_letter: &impl DeadLetter<B::Item, E>,
        cause: Cause<E>,
    ) {
        let Some(batch) = self.slot.lock().take() else {
            return;
        };
        let failure = Failure {
            partition: self.report.partition,
            attempts: self.attempt,
            cause,
        };
        self.report.give_up(dead_letter, batch.items(), failure);
        self.report.settle(batch);
    }
}
