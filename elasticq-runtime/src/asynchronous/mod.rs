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
pub use queue::{GeneratedQueue, Signals};
pub use signal::{Signal, Waiter};
#[cfg(feature = "tokio")]
pub use stream::{QueueSink, QueueStream};

/// How many messages `queue` still holds (for shutdown reports).
#[cfg(feature = "tokio")]
pub(crate) fn remaining<Q: GeneratedQueue + ?Sized>(queue: &Q) -> usize {
    queue.len()
}
