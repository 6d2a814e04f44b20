//! `Recorded<M>`: a message with the place its record has in a persisted queue's log.
//!
//! The persistence layer keeps `Recorded` values in the layers below it, so that a pop from
//! any partition or level knows which record to acknowledge. It routes and ranks exactly as
//! the message inside it does.

use super::{Message, Prioritized};
use crate::layer::Lane;

/// A message together with the partition log and sequence number of its record.
///
/// Only the persistence layer creates these; a user meets them as
/// `Delivery` values (feature `persist`), or not at all.
///
/// ```
/// use elasticq_runtime::{Lane, Message, Recorded};
///
/// struct Sample(u64);
/// impl Message for Sample {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Sample";
/// }
///
/// // A recorded message is a message of the same name and route.
/// assert_eq!(<Recorded<Sample> as Message>::NAME, "Sample");
/// ```
#[derive(Debug)]
pub struct Recorded<M> {
    pub(crate) partition: u32,
    /// The message's weight for byte bounds: the queue's weight function, or its record's
    /// length in the log (saturated at `u32::MAX`, which no record reaches).
    pub(crate) weight: u32,
    pub(crate) seq: u64,
    pub(crate) message: M,
}

impl<M> Recorded<M> {
    /// The message.
    ///
    /// ```
    /// # use elasticq_runtime::Recorded;
    /// fn peek(recorded: &Recorded<String>) -> &str { recorded.message() }
    /// ```
    pub fn message(&self) -> &M {
        &self.message
    }

    /// The partition whose log holds the record.
    ///
    /// ```
    /// # use elasticq_runtime::Recorded;
    /// fn partition(recorded: &Recorded<String>) -> usize { recorded.partition() }
    /// ```
    pub fn partition(&self) -> usize {
        self.partition as usize
    }

    /// The record's sequence number in its partition's log.
    ///
    /// ```
    /// # use elasticq_runtime::Recorded;
    /// fn seq(recorded: &Recorded<String>) -> u64 { recorded.seq() }
    /// ```
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The weight the queue's byte bound counts for this message: its weight function's
    /// value, or the length of its record in the log.
    ///
    /// ```
    /// # use elasticq_runtime::Recorded;
    /// fn weight(recorded: &Recorded<String>) -> usize { recorded.weight() }
    /// ```
    pub fn weight(&self) -> usize {
        self.weight as usize
    }
}

/// A weight for [`Recorded::weight`]: `weight` of the message, or else the record's length.
#[cfg(feature = "persist")]
pub(crate) fn recorded_weight<M>(
    weight: Option<fn(&M) -> usize>,
    message: &M,
    record_len: u64,
) -> u32 {
    let weight = weight.map_or(record_len, |weight| weight(message) as u64);
    u32::try_from(weight).unwrap_or(u32::MAX)
}

// Not offered as an alternative in a user's "not an elasticq message" error.
#[diagnostic::do_not_recommend]
impl<M: Message> Message for Recorded<M> {
    type Queue = M::Queue;
    type Lanes<E: Lane<Self>> = E;
    const NAME: &'static str = M::NAME;
    const LEVEL_COUNT: usize = M::LEVEL_COUNT;

    #[inline]
    fn route(&self) -> Option<u64> {
        self.message.route()
    }

    #[inline]
    fn level(&self) -> usize {
        self.message.level()
    }
}

#[diagnostic::do_not_recommend]
impl<M: Prioritized> Prioritized for Recorded<M> {
    type Level = M::Level;
    const LEVELS: usize = M::LEVELS;
    const LEVEL_NAMES: &'static [&'static str] = M::LEVEL_NAMES;

    #[inline]
    fn priority(&self) -> Option<usize> {
        self.message.priority()
    }

    #[inline]
    fn level_index(level: &Self::Level) -> Option<usize> {
        M::level_index(level)
    }
}

/// What the lanes of a persisted queue are for this message: the shape of
/// [`Message::Lanes`], over [`Recorded`] messages. `#[derive(ElasticQueue)]` implements it for
/// every FIFO message, so `#[elasticq::queue(persist(...))]` can persist any message that also
/// has an encoding ([`Codec`](crate::Codec)).
///
/// ```
/// use elasticq_runtime::{Lane, Message, Recorded};
/// use elasticq_runtime::__private::Durable;
///
/// struct Sample(u64);
/// impl Message for Sample {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Sample";
/// }
/// impl Durable for Sample {
///     type RecordedLanes<E: Lane<Recorded<Self>>> = E; // no priority levels
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be persisted by a queue",
    label = "this message has no persisted form",
    note = "derive `ElasticQueue` on `{Self}` (messages in `mode = map` are not persisted)"
)]
pub trait Durable: Message {
    /// `E` itself without priorities, [`PriorityLevels<Recorded<Self>, E>`](crate::PriorityLevels)
    /// with them.
    type RecordedLanes<E: Lane<Recorded<Self>>>: Lane<Recorded<Self>>;
}
