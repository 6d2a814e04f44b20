//! Messages: the traits `#[derive(ElasticQueue)]` (and `#[derive(Priority)]`) implement, which
//! tell the layers what they need to know about a message at compile time.
//!
//! [`Message`] (here) names the message's lanes and its route; [`PartitionKey`] (here) its
//! key type. `priority` holds the priority traits, `map` the map-mode trait, `recorded` the
//! form a persisted queue keeps a message in. The layers are bounded by these traits, and
//! [`Message::Lanes`] names [`Lane`] in turn: the traits describe a composition of layers,
//! so `message/` sits beside `layer/` rather than below it. Engines do not use them, except
//! the map engine, which reads a key and a version through [`MapMessage`].

mod map;
mod priority;
mod recorded;

pub use self::map::MapMessage;
pub use self::priority::{IntegerPriority, Prioritized, Priority};
#[cfg(feature = "persist")]
pub(crate) use self::recorded::recorded_weight;
pub use self::recorded::{Durable, Recorded};

use crate::layer::Lane;

/// A message type with a queue generated for it by `#[derive(ElasticQueue)]`.
///
/// The derive implements it; implementing it by hand is possible but gives nothing the
/// derive does not. It carries what the runtime layers need to know about a message at
/// compile time (its priority lanes, its partition route), and `#[elasticq::queue(message =
/// M)]` requires it of `M`, so a queue can only be declared for a message that derives
/// `ElasticQueue`.
///
/// ```
/// use elasticq_runtime::{Lane, LockFreeQueue, Message};
///
/// struct Sample(u64);
///
/// impl Message for Sample {
///     type Queue = LockFreeQueue<Sample>;
///     type Lanes<E: Lane<Self>> = E; // no priority levels: the engine itself
///     const NAME: &'static str = "Sample";
/// }
///
/// assert_eq!(<Sample as Message>::NAME, "Sample");
/// assert_eq!(Sample(3).route(), None); // no partition key: partitions fill round robin
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
    /// What a lane over engine `E` is for this message: `E` itself without priorities,
    /// [`PriorityLevels<Self, E>`](crate::PriorityLevels) with them. A queue declared with
    /// `#[elasticq::queue]` reads the message's priorities through it.
    type Lanes<E: Lane<Self>>: Lane<Self>;
    /// The message type's name as written in its definition.
    const NAME: &'static str;
    /// Whether the message is declared `mode = map`, so that its queues keep entries by key.
    /// `#[elasticq::queue]` refuses such a message: the queues it declares are FIFO.
    const MAP_MODE: bool = false;
    /// How many priority levels the message has: [`Prioritized::LEVELS`] with a priority,
    /// 1 without. [`level`](Self::level) is below it for every message in range. (Named
    /// apart from `Prioritized::LEVELS` so that `M::LEVELS` stays unambiguous.)
    const LEVEL_COUNT: usize = 1;

    /// The stable hash of this message's partition key ([`stable_hash`](crate::stable_hash)),
    /// or `None` without a key, when partitions are filled round robin.
    #[inline]
    fn route(&self) -> Option<u64> {
        None
    }

    /// The index of this message's priority level (0 without levels), which a persisted
    /// queue keeps in the message's record; `usize::MAX` for a priority outside the levels,
    /// so that a persisted queue refuses it before writing anything.
    #[inline]
    fn level(&self) -> usize {
        0
    }
}

/// A message without priority levels: one lane per partition, so a place can be held in it
/// before the message that fills it is known (`reserve()` on a queue declared with
/// `#[elasticq::queue]`). `#[derive(ElasticQueue)]` implements it for a message without a
/// priority.
///
/// ```
/// use elasticq_runtime::{Lane, Message, OneLevel};
///
/// struct Tick;
/// impl Message for Tick {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Tick";
/// }
/// impl OneLevel for Tick {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has priority levels: a place is held in the lane of one level",
    label = "this message has priorities",
    note = "use `reserve_for(&message)` or `try_reserve_for(&message)`, which hold a place in that message's level"
)]
pub trait OneLevel: Message {}

/// A message with a partition key of type `Key`: a `#[elastic_queue(partition_key)]` field,
/// or the whole message with `partition_key = self`.
///
/// ```
/// use elasticq_runtime::{stable_hash, Lane, Message, PartitionKey};
///
/// struct Publish { client: String }
///
/// impl Message for Publish {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Publish";
///     fn route(&self) -> Option<u64> {
///         Some(stable_hash(&self.client))
///     }
/// }
/// impl PartitionKey for Publish {
///     type Key = String;
/// }
///
/// let message = Publish { client: "sensor-7".into() };
/// assert_eq!(message.route(), Some(stable_hash("sensor-7"))); // `str` hashes as `String`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no partition key to look up",
    label = "this message is not routed by a key",
    note = "mark a field of `{Self}` with `#[elastic_queue(partition_key)]`, or write `partition_key = self` on the type"
)]
pub trait PartitionKey: Message {
    /// The key's type; `partition_of` accepts any form it borrows as (`&str` for `String`).
    type Key: ?Sized;
}
