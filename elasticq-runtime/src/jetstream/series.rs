//! The series of a JetStream queue declared with `metrics = "label"`: the local queues' names
//! and labels, so one dashboard shows both kinds.
//!
//! The background publisher (once a second) reads this handle's counters, which cost no
//! request: `enqueued` is what it published, `dequeued` what was delivered to it, `rejected`
//! and `redelivered` likewise. The depth, bytes and per-partition depths are the server's,
//! as of the last `stats().await` (which asks the server). A processor over the queue records
//! its events in the processing series.

use std::sync::Arc;

#[cfg(feature = "metrics")]
use parking_lot::Mutex;

use super::queue::Counters;
#[cfg(feature = "metrics")]
use crate::layer::metrics::{register_source, Publish, Series};
use crate::queue::ProcessingEvent;
use crate::stats::Stats;

/// A labelled queue's series, or nothing for a queue without a label.
#[cfg(feature = "metrics")]
pub(crate) struct QueueSeries(Option<Arc<Published>>);

/// Without the `metrics` feature a label reports nothing (the derive refuses `metrics` then).
#[cfg(not(feature = "metrics"))]
pub(crate) struct QueueSeries;

#[cfg(not(feature = "metrics"))]
impl QueueSeries {
    pub(crate) fn register(
        _: Option<&str>,
        _: usize,
        _: usize,
        _: &[&'static str],
        _: &Arc<Counters>,
    ) -> Self {
        Self
    }

    pub(crate) fn observed(&self, _: &Stats) {}

    pub(crate) fn processing(&self, _: ProcessingEvent) {}
}

#[cfg(feature = "metrics")]
struct Published {
    series: Series,
    counters: Arc<Counters>,
    /// The server's figures at the last `stats().await`.
    server: Mutex<Stats>,
}

#[cfg(feature = "metrics")]
impl QueueSeries {
    /// Registers the series of a queue labelled `label` (none: reports nothing).
    pub(crate) fn register(
        label: Option<&str>,
        partitions: usize,
        levels: usize,
        level_names: &[&'static str],
        counters: &Arc<Counters>,
    ) -> Self {
        let Some(label) = label else {
            return Self(None);
        };
        let published = Arc::new(Published {
            series: Series::register(label, partitions, levels, level_names, false),
            counters: Arc::clone(counters),
            server: Mutex::new(Stats::default()),
        });
        let source: Arc<dyn Publish> = published.clone();
        register_source(Arc::downgrade(&source));
        Self(Some(published))
    }

    /// The server's figures, just read: published at once with the counters.
    pub(crate) fn observed(&self, stats: &Stats) {
        if let Some(published) = &self.0 {
            *published.server.lock() = stats.clone();
            published.publish();
        }
    }

    /// A processor's event.
    pub(crate) fn processing(&self, event: ProcessingEvent) {
        if let Some(published) = &self.0 {
            published.series.processing.record(event);
        }
    }
}

#[cfg(feature = "metrics")]
impl Publish for Published {
    fn publish(&self) {
        let mut stats = self.server.lock().clone();
        let c = &self.counters;
        stats.enqueued = c.published.get();
        stats.dequeued = c.delivered.get();
        stats.rejected = c.refused.get();
        stats.rejected_invalid_priority = c.refused_invalid_priority.get();
        stats.redelivered = c.redelivered.get();
        self.series.publish(&stats);
    }
}
