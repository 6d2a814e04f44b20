//! What a JetStream queue declares about its stream and consumers, and the rules names
//! follow. The derive writes the stream and subject; the builder sets the rest.

use std::time::Duration;

use super::error::JetStreamError;
use super::names::{check_stream_name, check_subject};
use crate::config::{Fairness, MAX_PARTITIONS};

/// Where the stream keeps its messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamStorage {
    /// On the server's disk: survives a restart of the server.
    #[default]
    File,
    /// In the server's memory: lost when it stops.
    Memory,
}

/// The settings of a JetStream queue's stream and consumers.
///
/// The generated queue's builder sets them; [`JetStreamQueue::connect`](crate::JetStreamQueue)
/// takes them directly.
///
/// ```
/// use std::time::Duration;
/// use elasticq_runtime::{JetStreamOptions, StreamStorage};
///
/// let options = JetStreamOptions::new("ORDERS", "orders")
///     .partitions(4)
///     .storage(StreamStorage::Memory)
///     .ack_wait(Duration::from_secs(5))
///     .max_deliver(10);
/// assert_eq!(options.subject_of(2, 0), "orders.2.0");
/// assert!(options.validate().is_ok());
/// assert!(JetStreamOptions::new("bad name", "orders").validate().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct JetStreamOptions {
    pub(crate) stream: String,
    pub(crate) subject: String,
    pub(crate) partitions: usize,
    pub(crate) levels: usize,
    pub(crate) fairness: Fairness,
    pub(crate) replicas: usize,
    pub(crate) storage: StreamStorage,
    pub(crate) max_age: Duration,
    pub(crate) max_bytes: Option<u64>,
    pub(crate) max_deliver: Option<u32>,
    pub(crate) ack_wait: Duration,
    pub(crate) duplicate_window: Duration,
    pub(crate) publish_tries: u32,
    /// The `queue` label of the series (feature `metrics`), if the queue reports any.
    pub(crate) metrics: Option<String>,
}

impl JetStreamOptions {
    /// A stream named `stream` holding the subjects under `subject`: one partition, one
    /// level, file storage, one replica, no age or size limit, unlimited deliveries, a
    /// 30 s ack wait and a 2 min duplicate window.
    pub fn new(stream: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            stream: stream.into(),
            subject: subject.into(),
            partitions: 1,
            levels: 1,
            fairness: Fairness::Strict,
            replicas: 1,
            storage: StreamStorage::File,
            max_age: Duration::ZERO,
            max_bytes: None,
            max_deliver: None,
            ack_wait: Duration::from_secs(30),
            duplicate_window: Duration::from_secs(120),
            publish_tries: 3,
            metrics: None,
        }
    }

    /// Reports the queue's series under `queue = label` (feature `metrics`; without it the
    /// label is kept and nothing is reported): the local queues' counters, from this handle,
    /// published once a second, and the depth and bytes the server held at the last
    /// `stats().await`; a processor over the queue records its events in them too.
    ///
    /// ```
    /// let options = elasticq_runtime::JetStreamOptions::new("ORDERS", "orders").metrics("orders");
    /// # drop(options);
    /// ```
    pub fn metrics(mut self, label: impl Into<String>) -> Self {
        self.metrics = Some(label.into());
        self
    }

    /// The number of partitions (subjects `<subject>.<partition>.*`, each with its consumers).
    pub fn partitions(mut self, partitions: usize) -> Self {
        self.partitions = partitions;
        self
    }

    /// How pops share the levels: strict (the highest non-empty first) or fair.
    pub fn fairness(mut self, fairness: Fairness) -> Self {
        self.fairness = fairness;
        self
    }

    /// How many servers keep each message (1 to 5).
    pub fn replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas;
        self
    }

    /// File or memory storage.
    pub fn storage(mut self, storage: StreamStorage) -> Self {
        self.storage = storage;
        self
    }

    /// How long the stream keeps a message nobody acknowledged (zero: forever).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The most bytes the stream holds; a publish past it is refused (`Publish` error, the
    /// message handed back), never an older message dropped.
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = Some(max_bytes);
        self
    }

    /// How many times a message is delivered before the server stops (unlimited when not set).
    pub fn max_deliver(mut self, max_deliver: u32) -> Self {
        self.max_deliver = Some(max_deliver);
        self
    }

    /// How long a delivery may stay unacknowledged before the server delivers it again.
    pub fn ack_wait(mut self, ack_wait: Duration) -> Self {
        self.ack_wait = ack_wait;
        self
    }

    /// How long the server remembers a `Nats-Msg-Id`, within which a publish with the same
    /// id is stored once.
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// How many times a push publishes (with the same id) before it reports an error.
    pub fn publish_tries(mut self, tries: u32) -> Self {
        self.publish_tries = tries;
        self
    }

    /// The subject a message of `partition` and `level` is published on.
    pub fn subject_of(&self, partition: usize, level: usize) -> String {
        format!("{}.{partition}.{level}", self.subject)
    }

    /// The durable name of the consumer of `partition` and `level`.
    pub fn consumer_of(&self, partition: usize, level: usize) -> String {
        format!("{}_p{partition}_l{level}", self.stream)
    }

    /// Checks every rule, naming the setter at fault.
    pub fn validate(&self) -> Result<(), JetStreamError> {
        let invalid = |setting, requirement: String| {
            Err(JetStreamError::InvalidOptions {
                setting,
                requirement,
            })
        };
        if let Err(why) = check_stream_name(&self.stream) {
            return invalid("stream", why);
        }
        if let Err(why) = check_subject(&self.subject) {
            return invalid("subject", why);
        }
        if self.partitions == 0 || self.partitions > MAX_PARTITIONS {
            return invalid(
                "partitions",
                format!("{} is not within 1..={MAX_PARTITIONS}", self.partitions),
            );
        }
        if self.levels == 0 || self.levels > 256 {
            return invalid("levels", format!("{} is not within 1..=256", self.levels));
        }
        if let Fairness::Fair { max_consecutive: 0 } = self.fairness {
            return invalid("fairness", "`max_consecutive` must be at least 1".into());
        }
        if !(1..=5).contains(&self.replicas) {
            return invalid("replicas", format!("{} is not within 1..=5", self.replicas));
        }
        if self.max_bytes == Some(0) || self.max_bytes.is_some_and(|b| b > i64::MAX as u64) {
            return invalid("max_bytes", "must be at least 1 and fit in an i64".into());
        }
        if self.max_deliver == Some(0) {
            return invalid("max_deliver", "must be at least 1".into());
        }
        if self.ack_wait < Duration::from_millis(1) {
            return invalid("ack_wait", "must be at least 1 ms".into());
        }
        if self.publish_tries == 0 {
            return invalid("publish_tries", "must be at least 1".into());
        }
        Ok(())
    }
}
