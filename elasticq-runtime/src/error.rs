//! The error types: configuration errors, and the failures of push and pop that hand the
//! message back.
//!
//! At the crate root because every call of every engine, layer and generated queue returns
//! them; the persistence layer's own error, `PersistError`, lives in `persist/` and is
//! wrapped here.

use std::fmt;

/// An error building or opening a queue.
///
/// ```
/// use elasticq_runtime::{Config, Error, LockedQueue};
///
/// let err = LockedQueue::<u32>::new(Config::new().max_capacity(0)).unwrap_err();
/// match &err {
///     Error::InvalidConfig { field, value, .. } => {
///         assert_eq!(*field, "max_capacity");
///         assert_eq!(value, "0");
///     }
///     other => panic!("unexpected {other}"),
/// }
/// assert_eq!(err.to_string(), "invalid max_capacity = 0: must be at least 1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value breaks one of the rules listed on [`Config`](crate::Config).
    InvalidConfig {
        /// The name of the offending setting, as spelled by its setter.
        field: &'static str,
        /// The rejected value, as given.
        value: String,
        /// What the value must satisfy instead.
        requirement: String,
    },
    /// A persisted queue's log could not be opened or read back.
    Persist(crate::persist::PersistError),
}

impl From<crate::persist::PersistError> for Error {
    fn from(error: crate::persist::PersistError) -> Self {
        Error::Persist(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig {
                field,
                value,
                requirement,
            } => write!(f, "invalid {field} = {value}: {requirement}"),
            Error::Persist(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidConfig { .. } => None,
            Error::Persist(error) => Some(error),
        }
    }
}

/// A push that did not happen. The message is handed back, never dropped.
///
/// ```
/// use elasticq_runtime::{Config, LockedQueue, PushError};
///
/// let queue = LockedQueue::new(Config::new().initial_capacity(1).min_capacity(1).max_capacity(1))?;
/// queue.push("first")?;
/// match queue.push("second") {
///     Err(PushError::Full(message)) => assert_eq!(message, "second"),
///     other => panic!("expected Full, got {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushError<T> {
    /// The queue is at its maximum capacity and has no free slot; for the `_timeout` forms,
    /// it stayed so for the whole timeout.
    Full(T),
    /// The queue was closed; it accepts no more messages.
    Closed(T),
    /// The message's priority is outside the queue's levels: an integer priority field at
    /// or above its declared `levels`, or below 0.
    InvalidPriority(T),
    /// A persisted queue could not write the message's record to its log (or, under
    /// `EveryWrite`, sync it): the message was not queued. After a failed write or sync the
    /// log takes no more writes, as what reached the disk is unknown.
    Persist(T, Box<crate::persist::PersistError>),
}

impl<T> PushError<T> {
    /// Takes back the message (or batch) that was not pushed.
    ///
    /// ```
    /// use elasticq_runtime::PushError;
    /// assert_eq!(PushError::Closed(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(value)
            | PushError::Closed(value)
            | PushError::InvalidPriority(value)
            | PushError::Persist(value, _) => value,
        }
    }

    /// Whether the push failed because the queue was full.
    ///
    /// ```
    /// use elasticq_runtime::PushError;
    /// assert!(PushError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, PushError::Full(_))
    }

    /// Whether the push failed because the queue was closed.
    ///
    /// ```
    /// use elasticq_runtime::PushError;
    /// assert!(PushError::Closed(()).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, PushError::Closed(_))
    }

    /// Applies `f` to the handed-back value, keeping the reason.
    ///
    /// ```
    /// use elasticq_runtime::PushError;
    /// assert_eq!(PushError::Full(2).map(|n| n * 10), PushError::Full(20));
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> PushError<U> {
        match self {
            PushError::Full(value) => PushError::Full(f(value)),
            PushError::Closed(value) => PushError::Closed(f(value)),
            PushError::InvalidPriority(value) => PushError::InvalidPriority(f(value)),
            PushError::Persist(value, error) => PushError::Persist(f(value), error),
        }
    }
}

// Debug does not require `T: Debug`, so `?` and `unwrap` work for any message type, as with
// the standard library's channel errors.
impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("Full(..)"),
            PushError::Persist(_, error) => write!(f, "Persist(.., {error:?})"),
            PushError::Closed(_) => f.write_str("Closed(..)"),
            PushError::InvalidPriority(_) => f.write_str("InvalidPriority(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("queue is full at its maximum capacity"),
            PushError::Closed(_) => f.write_str("queue is closed"),
            PushError::InvalidPriority(_) => {
                f.write_str("message priority is outside the queue's priority levels")
            }
            PushError::Persist(_, error) => write!(f, "message not persisted: {error}"),
        }
    }
}

impl<T> std::error::Error for PushError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Persist(_, error) => Some(&**error),
            _ => None,
        }
    }
}

/// A blocking pop that returned no message.
///
/// ```
/// use std::time::Duration;
/// use elasticq_runtime::{Config, LockedQueue, PopError};
///
/// let queue = LockedQueue::<u8>::new(Config::new())?;
/// assert_eq!(queue.pop_timeout(Duration::from_millis(1)), Err(PopError::Timeout));
/// queue.close();
/// assert_eq!(queue.pop_timeout(Duration::from_millis(1)), Err(PopError::Closed));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PopError {
    /// No message arrived before the timeout.
    Timeout,
    /// The queue is closed and empty: no message will ever arrive.
    Closed,
}

impl fmt::Display for PopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PopError::Timeout => f.write_str("timed out waiting for a message"),
            PopError::Closed => f.write_str("queue is closed and empty"),
        }
    }
}

impl std::error::Error for PopError {}
