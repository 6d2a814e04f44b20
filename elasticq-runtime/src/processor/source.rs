//! What a processor drains: any generated queue, or, with the `jetstream` feature, a queue on
//! NATS JetStream. The builder's options are the same for both; what `spawn` starts differs
//! (tasks or threads taking from a partition in memory or on disk, or tasks pulling a
//! partition's consumers).

use super::TakenBatch;
use crate::queue::GeneratedQueue;

/// A queue a [`ProcessorBuilder`](super::ProcessorBuilder) can be made over: what its
/// processor function receives, and the name its events carry.
///
/// Every generated queue is one, and so is a
/// [`JetStreamQueue`](crate::JetStreamQueue) (feature `jetstream`); there is nothing to
/// implement.
///
/// ```
/// # use elasticq_runtime::__doc::Jobs;
/// use elasticq_runtime::ProcessorSource;
/// fn name_of(source: &impl ProcessorSource) -> &'static str {
///     source.source_name()
/// }
/// assert_eq!(name_of(&Jobs::new()), "Jobs");
/// ```
pub trait ProcessorSource {
    /// What the processor function receives, one per message.
    type Item;

    /// The name the processor's `tracing` events and `Debug` output give the queue.
    ///
    /// ```
    /// # use elasticq_runtime::__doc::Jobs;
    /// use elasticq_runtime::ProcessorSource;
    /// assert_eq!(Jobs::new().source_name(), "Jobs");
    /// ```
    fn source_name(&self) -> &'static str;
}

impl<Q: GeneratedQueue> ProcessorSource for Q
where
    Q::Batch: TakenBatch,
{
    type Item = <Q::Batch as TakenBatch>::Item;

    fn source_name(&self) -> &'static str {
        Q::NAME
    }
}
