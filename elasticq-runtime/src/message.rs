//! The trait `#[derive(ElasticQueue)]` implements for a message type.

/// A message type with a queue generated for it by `#[derive(ElasticQueue)]`.
///
/// The derive implements it; implementing it by hand is possible but gives nothing the
/// derive does not. It carries what the runtime layers need to know about a message at
/// compile time, and `#[elasticq::queue(message = M)]` requires it of `M`, so a queue can
/// only be declared for a message that derives `ElasticQueue`.
///
/// ```
/// use elasticq_runtime::{LockFreeQueue, Message};
///
/// struct Sample(u64);
///
/// impl Message for Sample {
///     type Queue = LockFreeQueue<Sample>;
///     const NAME: &'static str = "Sample";
/// }
///
/// assert_eq!(<Sample as Message>::NAME, "Sample");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an elasticq message",
    label = "this type does not derive `ElasticQueue`",
    note = "add `#[derive(ElasticQueue)]` to the definition of `{Self}`"
)]
pub trait Message: Sized {
    /// The queue type `#[derive(ElasticQueue)]` generated for this message
    /// (`{Message}Queue` unless renamed with `name = ...`).
    type Queue;
    /// The message type's name as written in its definition.
    const NAME: &'static str;
}
