//! `MapMessage`: what a message declared `mode = map` adds, its key and its version.
//!
//! The trait sits with the other traits the derive implements rather than with the map
//! engine: the engine only reads a message's key and version, while the derive, the
//! generated `put`/`get`/`remove` and `#[elasticq::queue]`'s refusal of map-mode messages all
//! name it.

use std::hash::Hash;

use super::Message;

/// A message kept by key in map mode: `#[elastic_queue(mode = map)]` with a
/// `#[elastic_queue(key)]` field and optionally a `#[elastic_queue(version)]` field.
///
/// ```
/// use elasticq_runtime::{Lane, MapMessage, Message};
///
/// struct Gauge { name: String, seq: u64, value: f64 }
///
/// impl Message for Gauge {
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Gauge";
/// }
/// impl MapMessage for Gauge {
///     type Key = String;
///     type Version = u64;
///     fn key(&self) -> &String { &self.name }
///     fn version(&self) -> Option<&u64> { Some(&self.seq) }
/// }
///
/// let gauge = Gauge { name: "cpu".into(), seq: 3, value: 0.7 };
/// assert_eq!(gauge.key(), "cpu");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a map-mode message",
    label = "this message has no key",
    note = "declare `#[elastic_queue(mode = map)]` on `{Self}` and mark its key field `#[elastic_queue(key)]`"
)]
pub trait MapMessage: Message {
    /// The key entries are kept under.
    type Key: Hash + Eq + Clone;
    /// The version that decides between two puts of one key (`()` without a version field).
    type Version: Ord;
    /// This message's key.
    fn key(&self) -> &Self::Key;
    /// This message's version, or `None` when the message has no version field (last write
    /// wins).
    fn version(&self) -> Option<&Self::Version>;
}
