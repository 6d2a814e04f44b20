//! Waiting without blocking a thread: the async calls, `Stream` and `Sink` of the generated
//! queues, and the wake-ups behind them.

#[cfg(feature = "tokio")]
mod futures;
mod queue;
mod signal;
#[cfg(feature = "tokio")]
mod stream;

#[cfg(feature = "tokio")]
pub use futures::{PopAsync, PopAsyncTimeout, PushAsync};
#[cfg(feature = "tokio")]
pub(crate) use queue::ProcessingMetrics;
pub use queue::{GeneratedQueue, Signals};
pub use signal::{Signal, Waiter};
#[cfg(feature = "tokio")]
pub use stream::{QueueSink, QueueStream};

/// How many messages `queue` still holds (for shutdown reports).
#[cfg(feature = "tokio")]
pub(crate) fn remaining<Q: GeneratedQueue + ?Sized>(queue: &Q) -> usize {
    queue.len()
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use crate::__doc::Jobs;

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
    }
}
