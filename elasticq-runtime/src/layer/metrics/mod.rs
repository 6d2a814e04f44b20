//! Instrumentation through the `metrics` facade, at a cost the hot path does not see.
//!
//! Counters and gauges are not touched by pushes and pops: the engines already count
//! (`Stats`), and a background publisher copies those counts into the `metrics` handles once
//! a second (and on demand, and when the queue is dropped), as absolute values. Operation
//! durations are sampled: one push or pop in [`SAMPLE_EVERY`] per thread is timed, which
//! costs a thread-local increment on the others. Handles are registered once, when the queue
//! is built, with the recorder installed at that moment.

mod instrumented;
pub mod names;
mod observable;
mod publisher;
mod series;

pub use instrumented::Instrumented;
pub use observable::{LogFigures, Observable};
pub use publisher::PUBLISH_INTERVAL;
#[cfg(feature = "jetstream")]
pub(crate) use publisher::{register as register_source, Publish};
#[cfg(feature = "jetstream")]
pub(crate) use series::Series;

use std::cell::Cell;

/// One push or pop in this many, per thread, is timed for the duration histogram.
pub const SAMPLE_EVERY: u32 = 256;

thread_local! {
    static TICK: Cell<u32> = const { Cell::new(0) };
}

/// Whether the calling thread's next operation is one to time.
#[inline]
pub(crate) fn sampled() -> bool {
    TICK.with(|tick| {
        let next = tick.get().wrapping_add(1);
        tick.set(next);
        next % SAMPLE_EVERY == 0
    })
}

#[cfg(all(test, not(loom)))]
mod tests;
