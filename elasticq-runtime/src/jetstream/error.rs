//! The errors of a JetStream queue: one type for every call, each variant saying which step
//! failed, with the message handed back wherever a push did not happen.

use std::fmt;

/// Why a call on a [`JetStreamQueue`](crate::JetStreamQueue) failed.
///
/// A push that did not happen hands its message back through [`JetStreamPushError`]; this
/// type is the cause.
///
/// ```
/// use elasticq_runtime::JetStreamError;
///
/// let conflict = JetStreamError::StreamConflict {
///     stream: "ORDERS".into(),
///     setting: "storage",
///     existing: "memory".into(),
///     declared: "file".into(),
/// };
/// assert_eq!(
///     conflict.to_string(),
///     "stream ORDERS exists with storage = memory, but this queue declares file: change the \
///      declaration, or update or delete the stream"
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum JetStreamError {
    /// A setting of the queue is out of range (names the builder's setter).
    InvalidOptions {
        /// The setter.
        setting: &'static str,
        /// What the value must satisfy.
        requirement: String,
    },
    /// The stream exists with a setting other than the declared one. Nothing was changed:
    /// a queue never rewrites a stream that others may be using.
    StreamConflict {
        /// The stream.
        stream: String,
        /// The setting, as the builder spells it.
        setting: &'static str,
        /// Its value on the server.
        existing: String,
        /// The value this queue declares.
        declared: String,
    },
    /// A consumer of the queue exists with a setting other than the declared one.
    ConsumerConflict {
        /// The consumer's durable name.
        consumer: String,
        /// The setting, as the builder spells it.
        setting: &'static str,
        /// Its value on the server.
        existing: String,
        /// The value this queue declares.
        declared: String,
    },
    /// The server refused or did not answer a request to create or read the stream or a
    /// consumer.
    Setup {
        /// What was being done.
        step: &'static str,
        /// The client's error.
        source: BoxError,
    },
    /// A publish was not acknowledged by the server (after the queue's own retries), or the
    /// server refused it (the stream full under its limits, say).
    Publish(BoxError),
    /// Pulling messages from a consumer failed.
    Fetch(BoxError),
    /// An acknowledgement (`ack`, `nack`, `term`) was not confirmed by the server: the
    /// message will be delivered again once its ack wait ends.
    Ack(BoxError),
    /// A key-value request (map mode) failed.
    KeyValue(BoxError),
    /// A stored message could not be decoded as this queue's message type; the message is
    /// terminated on the server (it would fail the same way on every delivery).
    Decode {
        /// The stream sequence of the message.
        sequence: u64,
        /// Why it did not decode.
        source: crate::DecodeError,
    },
    /// The message's priority is outside the queue's levels.
    InvalidPriority,
}

/// The error type the client's errors are carried in.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl fmt::Display for JetStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JetStreamError::InvalidOptions {
                setting,
                requirement,
            } => write!(f, "invalid `{setting}`: {requirement}"),
            JetStreamError::StreamConflict {
                stream,
                setting,
                existing,
                declared,
            } => write!(
                f,
                "stream {stream} exists with {setting} = {existing}, but this queue declares \
                 {declared}: change the declaration, or update or delete the stream"
            ),
            JetStreamError::ConsumerConflict {
                consumer,
                setting,
                existing,
                declared,
            } => write!(
                f,
                "consumer {consumer} exists with {setting} = {existing}, but this queue \
                 declares {declared}: change the declaration, or delete the consumer"
            ),
            JetStreamError::Setup { step, source } => write!(f, "could not {step}: {source}"),
            JetStreamError::Publish(e) => write!(f, "the publish was not acknowledged: {e}"),
            JetStreamError::Fetch(e) => write!(f, "could not pull messages: {e}"),
            JetStreamError::Ack(e) => write!(f, "the acknowledgement was not confirmed: {e}"),
            JetStreamError::KeyValue(e) => write!(f, "the key-value request failed: {e}"),
            JetStreamError::Decode { sequence, source } => write!(
                f,
                "the message at stream sequence {sequence} does not decode: {source}"
            ),
            JetStreamError::InvalidPriority => {
                f.write_str("the message's priority is outside the queue's levels")
            }
        }
    }
}

impl std::error::Error for JetStreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JetStreamError::Setup { source, .. } => Some(source.as_ref()),
            JetStreamError::Publish(e)
            | JetStreamError::Fetch(e)
            | JetStreamError::Ack(e)
            | JetStreamError::KeyValue(e) => Some(e.as_ref()),
            JetStreamError::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A push that did not happen: the message, handed back, and why.
///
/// ```
/// use elasticq_runtime::{JetStreamError, JetStreamPushError};
///
/// let refused = JetStreamPushError {
///     message: 7u32,
///     msg_id: None,
///     error: JetStreamError::InvalidPriority,
/// };
/// assert_eq!(refused.into_message(), 7);
/// ```
#[derive(Debug)]
pub struct JetStreamPushError<M> {
    /// The message that was not known to be stored.
    pub message: M,
    /// The `Nats-Msg-Id` the message was given. When a publish was sent and not
    /// acknowledged, the server may have stored it all the same: push the message again with
    /// this id (`push_with_id_async`) and JetStream stores it at most once within the
    /// stream's duplicate window. (A message refused before any publish, for a priority
    /// without a subject, has one too; `None` is for refusals made without an id.)
    pub msg_id: Option<String>,
    /// Why.
    pub error: JetStreamError,
}

impl<M> JetStreamPushError<M> {
    /// The message, to push again or keep elsewhere.
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<M> fmt::Display for JetStreamPushError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the push did not happen: {}", self.error)
    }
}

impl<M: fmt::Debug> std::error::Error for JetStreamPushError<M> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
