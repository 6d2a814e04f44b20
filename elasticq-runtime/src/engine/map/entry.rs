//! What the map engine hands back: the outcome of a put, and an entry with its overwrite
//! count.

/// What a [`MapQueue::put`](super::MapQueue::put) did.
///
/// ```
/// use elasticq_runtime::Put;
/// let outcome: Put<&str> = Put::Replaced("older");
/// assert_eq!(outcome.into_displaced(), Some("older"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put<M> {
    /// The key had no entry: the message was queued as a new entry.
    Inserted,
    /// The key's entry was replaced; here is the message it held. The entry keeps its place
    /// in the order and counts one more overwrite.
    Replaced(M),
    /// The key's entry has a newer (or the same) version: the put was ignored and counted as
    /// stale; here is the message that was not stored.
    Stale(M),
}

impl<M> Put<M> {
    /// The message the put displaced or refused, if any.
    ///
    /// ```
    /// assert_eq!(elasticq_runtime::Put::<u8>::Inserted.into_displaced(), None);
    /// ```
    pub fn into_displaced(self) -> Option<M> {
        match self {
            Put::Inserted => None,
            Put::Replaced(message) | Put::Stale(message) => Some(message),
        }
    }
}

/// An entry taken from a [`MapQueue`](super::MapQueue): the message, and how often it was overwritten while
/// queued.
///
/// ```
/// use elasticq_runtime::Entry;
/// let entry = Entry { message: "latest", overwrites: 2 };
/// assert_eq!(entry.overwrites, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry<M> {
    /// The last message put under the entry's key.
    pub message: M,
    /// How many puts replaced an earlier message of this entry.
    pub overwrites: u64,
}
