//! What every generated queue shares: the [`GeneratedQueue`] trait the derive implements,
//! the [`Signals`] it holds, and, built on that trait alone, the async calls, `Stream` and
//! `Sink` of the generated queues.
//!
//! This is the top of the runtime's layering, just below the generated code: a generated
//! queue is a newtype over one composition of layers and engines, and what is written here
//! is written once against the trait rather than once per composition. It waits through
//! `wait/` ([`Waiter`](crate::wait::Waiter) over each of [`Signals`]' two sides); the
//! processor (`processor/`) drives queues through the same trait.
//!
//! - `generated`: [`GeneratedQueue`] and [`Signals`].
//! - `futures`: the futures of `push_async`, `pop_async` and `pop_async_timeout`.
//! - `batch`: the futures of `pop_batch_async` and of persisted queues' async deliveries.
//! - `stream`: the `Stream` and `Sink` adapters, borrowed or owned.
//! - `permit`: places held ahead of a push (`reserve`), and the futures that wait for them.
//! - `doc`: a hand-written generated queue for the runtime's own examples (`__doc`).

#[cfg(feature = "tokio")]
mod batch;
pub(crate) mod doc;
#[cfg(feature = "tokio")]
mod futures;
mod generated;
mod permit;
#[cfg(feature = "tokio")]
mod stream;

#[cfg(feature = "tokio")]
pub use self::batch::{PopBatchAsync, PopOneAsync};
#[cfg(feature = "tokio")]
pub use self::futures::{PopAsync, PopAsyncTimeout, PushAsync};
#[cfg(feature = "tokio")]
pub(crate) use self::generated::ProcessingMetrics;
pub use self::generated::{GeneratedQueue, ProcessingEvent, Signals};
pub use self::permit::{Closed, Permit, Permits};
#[cfg(feature = "tokio")]
pub use self::permit::{ReserveAsync, ReserveManyAsync};
#[cfg(feature = "tokio")]
pub use self::stream::{QueueSink, QueueStream};

/// How many messages `queue` still holds (for shutdown reports).
#[cfg(feature = "tokio")]
pub(crate) fn remaining<Q: GeneratedQueue + ?Sized>(queue: &Q) -> usize {
    queue.len()
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use crate::queue::doc::Jobs;

    fn send<T: Send>(_: &T) {}

    #[test]
    fn the_futures_and_adapters_are_send() {
        let jobs = Jobs::new();
        send(&super::PopAsync::new(&jobs));
        send(&super::PushAsync::new(&jobs, 1));
        send(&super::PopAsyncTimeout::new(
            &jobs,
            std::time::Duration::ZERO,
        ));
        send(&super::QueueStream::new(&jobs));
        send(&super::QueueSink::new(&jobs));
        send(&super::PopBatchAsync::new(&jobs, 10));
        send(&super::PopOneAsync::new(&jobs, |jobs: &Jobs| {
            crate::GeneratedQueue::pop(jobs)
        }));
        let jobs = std::sync::Arc::new(Jobs::new());
        send(&super::QueueSink::owned(std::sync::Arc::clone(&jobs)));
        send(&super::QueueStream::owned(jobs));
    }
}
