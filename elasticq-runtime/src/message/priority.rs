//! What makes a message prioritised: the `Priority` types its priority field may have, and the
//! `Prioritized` trait the derive implements for a message with priority levels.

use super::Message;

/// A type whose values are priority levels, lowest first: derive it on a fieldless enum with
/// `#[derive(elasticq::Priority)]`, and a later variant ranks higher.
///
/// ```
/// use elasticq_runtime::Priority;
///
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// enum QoS { AtMostOnce, AtLeastOnce, ExactlyOnce }
///
/// // What `#[derive(Priority)]` writes:
/// impl Priority for QoS {
///     const LEVELS: usize = 3;
///     const NAMES: &'static [&'static str] = &["AtMostOnce", "AtLeastOnce", "ExactlyOnce"];
///     fn level(&self) -> usize {
///         match self { QoS::AtMostOnce => 0, QoS::AtLeastOnce => 1, QoS::ExactlyOnce => 2 }
///     }
///     fn from_level(level: usize) -> Option<Self> {
///         [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce].get(level).copied()
///     }
/// }
///
/// assert_eq!(QoS::ExactlyOnce.level(), 2);
/// assert_eq!(QoS::from_level(1), Some(QoS::AtLeastOnce));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a priority type",
    label = "a `#[elastic_queue(priority)]` field must have a type deriving `Priority`",
    note = "derive `elasticq::Priority` on a fieldless enum (a later variant ranks higher), or mark an integer field `#[elastic_queue(priority(levels = N))]`"
)]
pub trait Priority: Sized {
    /// How many levels there are (the number of variants).
    const LEVELS: usize;
    /// Each level's name, lowest first (the variants' names): the metrics' `priority` label
    /// values. Empty (the default) names the levels by number.
    const NAMES: &'static [&'static str] = &[];
    /// This value's level, from 0 (lowest) to `LEVELS - 1` (highest).
    fn level(&self) -> usize;
    /// The value at `level`, or `None` past the highest.
    fn from_level(level: usize) -> Option<Self>;
}

/// An integer type a `#[elastic_queue(priority(levels = N))]` field may have. Implemented for
/// every primitive integer; not meant to be implemented elsewhere.
///
/// ```
/// use elasticq_runtime::IntegerPriority;
///
/// assert_eq!(2u8.to_level(3), Some(2));
/// assert_eq!(3u8.to_level(3), None); // out of range: the push hands the message back
/// assert_eq!((-1i32).to_level(3), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an integer type",
    label = "`priority(levels = N)` is for integer fields",
    note = "for an enum, derive `elasticq::Priority` on it and write `#[elastic_queue(priority)]`"
)]
pub trait IntegerPriority: Copy {
    /// The level this value names among `levels`, or `None` if it is out of range.
    fn to_level(self, levels: usize) -> Option<usize>;
}

macro_rules! integer_priority {
    ($($int:ty),*) => {$(
        impl IntegerPriority for $int {
            #[inline]
            fn to_level(self, levels: usize) -> Option<usize> {
                usize::try_from(self).ok().filter(|level| *level < levels)
            }
        }
    )*};
}
integer_priority!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// A message with priority levels, implemented by `#[derive(ElasticQueue)]` for a message
/// with a `#[elastic_queue(priority)]` field or variants with `#[elastic_queue(priority = N)]`.
///
/// ```
/// use elasticq_runtime::{Lane, LockedQueue, Message, PriorityLevels, Prioritized};
///
/// struct Job { urgency: u8 }
///
/// impl Message for Job {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = PriorityLevels<Self, E>;
///     const NAME: &'static str = "Job";
/// }
///
/// impl Prioritized for Job {
///     type Level = u8;
///     const LEVELS: usize = 2;
///     fn priority(&self) -> Option<usize> {
///         Self::level_index(&self.urgency)
///     }
///     fn level_index(level: &u8) -> Option<usize> {
///         (usize::from(*level) < 2).then_some(usize::from(*level))
///     }
/// }
///
/// assert_eq!(Job { urgency: 1 }.priority(), Some(1));
/// assert_eq!(Job { urgency: 7 }.priority(), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no priority levels",
    label = "this message declares no priority",
    note = "mark a field of `{Self}` with `#[elastic_queue(priority)]` (a `Priority` type) or `#[elastic_queue(priority(levels = N))]` (an integer)"
)]
pub trait Prioritized: Message {
    /// How a level is named: the priority field's type (`usize` for levels fixed per variant).
    type Level;
    /// How many levels the message's queues have.
    const LEVELS: usize;
    /// Each level's name, lowest first, when its priority type names them
    /// ([`Priority::NAMES`]): the metrics' `priority` label values. Empty (the default) names
    /// the levels by number.
    const LEVEL_NAMES: &'static [&'static str] = &[];
    /// This message's level, or `None` when its priority is out of range.
    fn priority(&self) -> Option<usize>;
    /// The level `level` names, or `None` when it is out of range.
    fn level_index(level: &Self::Level) -> Option<usize>;
}
