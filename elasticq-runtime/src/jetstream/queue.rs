//! `JetStreamQueue`: a queue whose messages live in a JetStream stream, so that producers
//! and consumers in any number of processes share it.
//!
//! A push publishes on the subject of the message's partition and level, with a
//! `Nats-Msg-Id` the server deduplicates on, and returns once the server has acknowledged
//! the publish: from then on the message survives the producer, and (with file storage) the
//! server. A pop pulls from the consumers of the levels, highest first (strict) or taking
//! turns (fair), and the partitions in rotation; the delivery stays the server's until it is
//! settled, so a consumer that dies mid-batch loses nothing: its deliveries go to whoever
//! pulls next once their ack wait ends.

use std::hash::{BuildHasher as _, Hasher as _};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, Consumer};
use async_nats::jetstream::message::PublishMessage as Publish;
use async_nats::jetstream::{self, stream, Context};
use futures_util::StreamExt as _;

use super::delivery::JetStreamDelivery;
use super::error::{JetStreamError, JetStreamPushError};
use super::options::JetStreamOptions;
use super::series::QueueSeries;
use super::topology::{self, Consumers};
use crate::config::Fairness;
use crate::sync::{AtomicU64, AtomicUsize, Lock, Ordering};
use crate::{Codec, Message, Stats};

/// A counter of one event.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What this handle did, shared with its deliveries.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) published: Counter,
    pub(crate) duplicates: Counter,
    pub(crate) refused: Counter,
    pub(crate) refused_invalid_priority: Counter,
    pub(crate) delivered: Counter,
    pub(crate) redelivered: Counter,
    pub(crate) acked: Counter,
    pub(crate) nacked: Counter,
    pub(crate) terminated: Counter,
    pub(crate) undecodable: Counter,
}

/// The level a fair pop is on, and how many it took from it in a row.
#[derive(Default)]
struct Streak {
    level: usize,
    taken: usize,
}

/// How long an empty pop sleeps between its pulls, at first and at most: it polls every
/// consumer with `no_wait` pulls (one long pull per consumer would hold a delivery of each
/// level at once, against the priority order).
const FIRST_IDLE_WAIT: Duration = Duration::from_millis(1);
const MAX_IDLE_WAIT: Duration = Duration::from_millis(20);

/// A queue of `M` on a JetStream stream; see the module docs. The generated queue of a
/// `jetstream(...)` declaration wraps one; it is usable directly for any `M: Message +
/// Codec`.
///
/// ```no_run
/// use elasticq_runtime::{Codec, DecodeError, JetStreamOptions, JetStreamQueue, Lane, Message};
///
/// #[derive(Debug, PartialEq)]
/// struct Reading(u64);
/// impl Message for Reading { // what `#[derive(ElasticQueue)]` writes
///     type Queue = ();
///     type Lanes<E: Lane<Self>> = E;
///     const NAME: &'static str = "Reading";
/// }
/// impl Codec for Reading {
///     fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) }
///     fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u64::decode(input).map(Reading) }
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// let queue: JetStreamQueue<Reading> =
///     JetStreamQueue::connect(&client, JetStreamOptions::new("READINGS", "readings")).await?;
/// queue.push_async(Reading(7)).await?;
/// let delivery = queue.pop_delivery_async().await?;
/// assert_eq!(delivery.ack().await?, Reading(7));
/// # Ok(()) }
/// ```
pub struct JetStreamQueue<M> {
    context: Context,
    options: JetStreamOptions,
    stream: stream::Stream,
    consumers: Consumers,
    /// What makes this handle's message ids unique among every producer's.
    producer: String,
    next_id: AtomicU64,
    round_robin: AtomicUsize,
    cursor: AtomicUsize,
    streak: Lock<Streak>,
    counters: Arc<Counters>,
    /// The series of a queue declared with `metrics = "label"`.
    series: QueueSeries,
    _message: PhantomData<fn(M) -> M>,
}

impl<M> JetStreamQueue<M> {
    /// How many messages the stream holds, all processes' included: one request (`stats`
    /// makes one more per consumer).
    pub(crate) async fn stream_len(&self) -> Result<usize, JetStreamError> {
        let mut stream = self.stream.clone();
        let info = stream.info().await.map_err(|e| JetStreamError::Setup {
            step: "read the stream",
            source: Box::new(e),
        })?;
        Ok(info.state.messages as usize)
    }

    /// Records a processor's event in the queue's processing series (a queue declared with
    /// `metrics = "label"`; others ignore it).
    pub(crate) fn processing_event(&self, event: crate::queue::ProcessingEvent) {
        self.series.processing(event);
    }
}

impl<M: Message + Codec> JetStreamQueue<M> {
    /// Connects through `client`: creates the stream and the consumers (one per partition
    /// and level, the levels `M::LEVEL_COUNT`) or checks that the existing ones have the declared
    /// settings.
    pub async fn connect(
        client: &async_nats::Client,
        mut options: JetStreamOptions,
    ) -> Result<Self, JetStreamError> {
        options.levels = M::LEVEL_COUNT;
        options.validate()?;
        let context = jetstream::new(client.clone());
        let stream = topology::ensure_stream(&context, &options).await?;
        let consumers = topology::ensure_consumers(&stream, &options).await?;
        let counters = Arc::<Counters>::default();
        // Levels are named by number: the queue knows its message, not its priority type.
        let series = QueueSeries::register(
            options.metrics.as_deref(),
            options.partitions,
            options.levels,
            &[],
            &counters,
        );
        Ok(Self {
            context,
            producer: producer_id(),
            options,
            stream,
            consumers,
            next_id: AtomicU64::new(0),
            round_robin: AtomicUsize::new(0),
            cursor: AtomicUsize::new(0),
            streak: Lock::new(Streak::default()),
            counters,
            series,
            _message: PhantomData,
        })
    }

    /// The settings the queue was connected with.
    pub fn options(&self) -> &JetStreamOptions {
        &self.options
    }

    /// The number of partitions.
    pub fn partitions(&self) -> usize {
        self.options.partitions
    }

    /// The partition `message` is pushed to: its key's stable hash modulo the partitions,
    /// the same in every process, or the next in this handle's rotation without a key.
    pub fn partition_for(&self, message: &M) -> usize {
        let partitions = self.options.partitions;
        match message.route() {
            Some(hash) => (hash % partitions as u64) as usize,
            None => self.round_robin.fetch_add(1, Ordering::Relaxed) % partitions,
        }
    }

    /// A message id no other push of any handle uses.
    pub fn next_msg_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.producer)
    }

    /// Publishes `message` and returns once the server has stored it. A publish that is not
    /// acknowledged is tried again with the same `Nats-Msg-Id` (up to `publish_tries`), so
    /// the server stores it once; if every try fails, the message is handed back with that
    /// id, to push again with [`push_with_id_async`](Self::push_with_id_async).
    pub async fn push_async(&self, message: M) -> Result<(), JetStreamPushError<M>> {
        let id = self.next_msg_id();
        self.push_with_id_async(message, id).await
    }

    /// Like `push_async`, with the caller's `Nats-Msg-Id`: a push repeated with the same id
    /// within the stream's duplicate window is stored once (`stats().duplicates` counts the
    /// repeats the server recognised).
    pub async fn push_with_id_async(
        &self,
        message: M,
        id: impl Into<String>,
    ) -> Result<(), JetStreamPushError<M>> {
        let id = id.into();
        let (subject, payload) = match self.addressed(&message) {
            Ok(addressed) => addressed,
            Err(error) => return Err(self.refused(message, Some(id), error)),
        };
        let mut tries = 0;
        loop {
            tries += 1;
            let result = self.publish(&subject, payload.clone(), &id).await;
            match result {
                Ok(()) => return Ok(()),
                Err(_) if tries < self.options.publish_tries => {
                    tokio::time::sleep(Duration::from_millis(50 << tries.min(5))).await;
                }
                Err(error) => return Err(self.refused(message, Some(id), error)),
            }
        }
    }

    /// Publishes every message, the publishes sent together and each acknowledged, and
    /// returns once all are stored; the ones that were not are handed back, each with its
    /// `Nats-Msg-Id`, in order.
    pub async fn push_batch_async(
        &self,
        messages: Vec<M>,
    ) -> Result<(), Vec<JetStreamPushError<M>>> {
        let with_ids = messages
            .into_iter()
            .map(|message| (message, self.next_msg_id()))
            .collect();
        self.push_batch_with_ids_async(with_ids).await
    }

    /// Like `push_batch_async`, each message with the caller's `Nats-Msg-Id`: a batch
    /// pushed again with the same ids (after a crash, or for the messages handed back) is
    /// stored once, within the stream's duplicate window. The outbox bridge publishes with
    /// it.
    ///
    /// ```no_run
    /// # use elasticq_runtime::__doc::Note;
    /// # async fn run(queue: elasticq_runtime::JetStreamQueue<Note>) {
    /// let batch = vec![(Note("a".into()), "order-1".to_owned()), (Note("b".into()), "order-2".to_owned())];
    /// queue.push_batch_with_ids_async(batch.clone()).await.unwrap();
    /// queue.push_batch_with_ids_async(batch).await.unwrap(); // stored once
    /// # }
    /// ```
    pub async fn push_batch_with_ids_async(
        &self,
        messages: Vec<(M, String)>,
    ) -> Result<(), Vec<JetStreamPushError<M>>> {
        let mut refused = Vec::new();
        let mut sent = Vec::with_capacity(messages.len());
        for (message, id) in messages {
            match self.addressed(&message) {
                Ok((subject, payload)) => {
                    let publish = Publish::build().payload(payload.clone()).message_id(&id);
                    let ack = self.context.send_publish(subject.clone(), publish).await;
                    sent.push((message, id, subject, payload, ack));
                }
                Err(error) => refused.push(self.refused(message, Some(id), error)),
            }
        }
        for (message, id, subject, payload, ack) in sent {
            let stored = match ack {
                Ok(future) => match future.await {
                    Ok(ack) => {
                        self.stored(ack.duplicate);
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(Box::new(e) as super::error::BoxError),
            };
            if stored.is_err() {
                // One more try, the same id: stored once however the first one ended.
                if let Err(error) = self.publish(&subject, payload, &id).await {
                    refused.push(self.refused(message, Some(id), error));
                }
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(refused)
        }
    }

    /// The next message, waiting until there is one: the highest level first (or the
    /// fair order), partitions in rotation.
    pub async fn pop_delivery_async(&self) -> Result<JetStreamDelivery<M>, JetStreamError> {
        let mut batch = self.pop_delivery_batch_async(1).await?;
        match batch.pop() {
            Some(delivery) => Ok(delivery),
            None => unreachable!("a batch pop returns at least one delivery"),
        }
    }

    /// Up to `max` messages (at least one), waiting until there is one.
    pub async fn pop_delivery_batch_async(
        &self,
        max: usize,
    ) -> Result<Vec<JetStreamDelivery<M>>, JetStreamError> {
        let mut idle = FIRST_IDLE_WAIT;
        loop {
            let batch = self.try_pop_delivery_batch_async(max).await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            tokio::time::sleep(idle).await;
            idle = (idle * 2).min(MAX_IDLE_WAIT);
        }
    }

    /// Up to `max` messages of partition `partition` (at least one), waiting until there is
    /// one: a worker of one partition.
    pub async fn pop_delivery_batch_from_async(
        &self,
        partition: usize,
        max: usize,
    ) -> Result<Vec<JetStreamDelivery<M>>, JetStreamError> {
        let mut idle = FIRST_IDLE_WAIT;
        loop {
            let batch = self.take(&[partition], max).await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            tokio::time::sleep(idle).await;
            idle = (idle * 2).min(MAX_IDLE_WAIT);
        }
    }

    /// Up to `max` messages of `partition` that are there now, none if there are none: a
    /// processor worker's drain.
    pub(crate) async fn take_now(
        &self,
        partition: usize,
        max: usize,
    ) -> Result<Vec<JetStreamDelivery<M>>, JetStreamError> {
        self.take(&[partition], max).await
    }

    /// Up to `max` messages that are there now, none if there are none.
    pub async fn try_pop_delivery_batch_async(
        &self,
        max: usize,
    ) -> Result<Vec<JetStreamDelivery<M>>, JetStreamError> {
        let partitions = self.options.partitions;
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % partitions;
        let order: Vec<usize> = (0..partitions).map(|i| (start + i) % partitions).collect();
        self.take(&order, max).await
    }

    /// Pulls up to `max` from `partitions`, level by level in the pop order.
    async fn take(
        &self,
        partitions: &[usize],
        max: usize,
    ) -> Result<Vec<JetStreamDelivery<M>>, JetStreamError> {
        let mut batch = Vec::new();
        if max == 0 {
            return Ok(batch);
        }
        let levels = self.level_order();
        let per_level = match self.options.fairness {
            Fairness::Strict => usize::MAX,
            Fairness::Fair { max_consecutive } => max_consecutive,
        };
        // Strict: one sweep, each level drained before the next. Fair: sweeps taking at most
        // `max_consecutive` from a level each, until the batch is full or a sweep finds
        // nothing.
        loop {
            let before = batch.len();
            for &level in &levels {
                let mut from_level = 0;
                for &partition in partitions {
                    let room = (max - batch.len()).min(per_level - from_level);
                    if room == 0 {
                        break;
                    }
                    let got = self.fetch(partition, level, room, &mut batch).await?;
                    from_level += got;
                }
                if from_level > 0 {
                    self.note_taken(level, from_level);
                }
            }
            if batch.len() == max || batch.len() == before || per_level == usize::MAX {
                return Ok(batch);
            }
        }
    }

    /// The levels in the order a pop tries them: highest first; under `fair`, once a level
    /// has had its run, the ones below it first.
    fn level_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.options.levels).rev().collect();
        if let Fairness::Fair { max_consecutive } = self.options.fairness {
            let streak = self.streak.lock();
            if streak.taken >= max_consecutive {
                order.sort_by_key(|level| (*level >= streak.level, std::cmp::Reverse(*level)));
            }
        }
        order
    }

    fn note_taken(&self, level: usize, n: usize) {
        let mut streak = self.streak.lock();
        if streak.level == level {
            streak.taken += n;
        } else {
            *streak = Streak { level, taken: n };
        }
    }

    /// Pulls up to `max` from one consumer without waiting, decoding into `batch`; a
    /// message that does not decode is terminated and counted, not returned.
    async fn fetch(
        &self,
        partition: usize,
        level: usize,
        max: usize,
        batch: &mut Vec<JetStreamDelivery<M>>,
    ) -> Result<usize, JetStreamError> {
        let consumer: &Consumer<pull::Config> = &self.consumers[partition][level];
        let mut messages = consumer
            .fetch()
            .max_messages(max)
            .messages()
            .await
            .map_err(|e| JetStreamError::Fetch(Box::new(e)))?;
        let mut got = 0;
        while let Some(raw) = messages.next().await {
            let raw = raw.map_err(JetStreamError::Fetch)?;
            let (sequence, delivered) = match raw.info() {
                Ok(info) => (info.stream_sequence, info.delivered.max(1) as u64),
                Err(e) => return Err(JetStreamError::Fetch(e)),
            };
            self.counters.delivered.add(1);
            if delivered > 1 {
                self.counters.redelivered.add(1);
            }
            match crate::from_bytes::<M>(&raw.payload) {
                Ok(message) => {
                    got += 1;
                    batch.push(JetStreamDelivery {
                        message,
                        raw,
                        partition,
                        level,
                        delivered,
                        sequence,
                        counters: Arc::clone(&self.counters),
                    });
                }
                Err(source) => {
                    self.counters.undecodable.add(1);
                    tracing::error!(
                        stream = %self.options.stream, sequence, error = %source,
                        "a message that does not decode was terminated"
                    );
                    let _ = raw.double_ack_with(jetstream::AckKind::Term).await;
                }
            }
        }
        Ok(got)
    }

    /// The queue's counters, with what the server holds: `len` is the messages stored and
    /// not acknowledged (work-queue retention removes acknowledged ones), `bytes` their
    /// size, and `partitions` each partition's (all of its levels') pending and unsettled
    /// messages. `enqueued`, `dequeued`, `rejected` and `redelivered` count this handle's
    /// pushes and pops.
    pub async fn stats(&self) -> Result<Stats, JetStreamError> {
        let mut stream = self.stream.clone();
        let info = stream.info().await.map_err(|e| JetStreamError::Setup {
            step: "read the stream",
            source: Box::new(e),
        })?;
        let mut partitions = Vec::with_capacity(self.options.partitions);
        for consumers in &self.consumers {
            let mut owed = 0usize;
            for consumer in consumers {
                let mut consumer = consumer.clone();
                let info = consumer.info().await.map_err(|e| JetStreamError::Setup {
                    step: "read a consumer",
                    source: Box::new(e),
                })?;
                owed += info.num_pending as usize + info.num_ack_pending;
            }
            partitions.push(Stats {
                len: owed,
                ..Stats::default()
            });
        }
        let c = &self.counters;
        let stats = Stats {
            enqueued: c.published.get(),
            dequeued: c.delivered.get(),
            rejected: c.refused.get(),
            rejected_invalid_priority: c.refused_invalid_priority.get(),
            redelivered: c.redelivered.get(),
            len: info.state.messages as usize,
            bytes: info.state.bytes as usize,
            capacity: info.state.messages as usize,
            max_capacity: usize::MAX,
            partitions,
            ..Stats::default()
        };
        self.series.observed(&stats);
        Ok(stats)
    }

    /// What the counters behind `stats` say without asking the server.
    pub fn counters(&self) -> JetStreamCounters {
        let c = &self.counters;
        JetStreamCounters {
            published: c.published.get(),
            duplicates: c.duplicates.get(),
            refused: c.refused.get(),
            delivered: c.delivered.get(),
            redelivered: c.redelivered.get(),
            acked: c.acked.get(),
            nacked: c.nacked.get(),
            terminated: c.terminated.get(),
            undecodable: c.undecodable.get(),
        }
    }

    fn addressed(&self, message: &M) -> Result<(String, bytes::Bytes), JetStreamError> {
        let level = message.level();
        if level >= self.options.levels {
            return Err(JetStreamError::InvalidPriority);
        }
        let partition = self.partition_for(message);
        let subject = self.options.subject_of(partition, level);
        Ok((subject, bytes::Bytes::from(crate::to_bytes(message))))
    }

    async fn publish(
        &self,
        subject: &str,
        payload: bytes::Bytes,
        id: &str,
    ) -> Result<(), JetStreamError> {
        let publish = Publish::build().payload(payload).message_id(id);
        let ack = self
            .context
            .send_publish(subject.to_owned(), publish)
            .await
            .map_err(|e| JetStreamError::Publish(Box::new(e)))?
            .await
            .map_err(|e| JetStreamError::Publish(Box::new(e)))?;
        self.stored(ack.duplicate);
        Ok(())
    }

    fn stored(&self, duplicate: bool) {
        if duplicate {
            self.counters.duplicates.add(1);
        } else {
            self.counters.published.add(1);
        }
    }

    fn refused(
        &self,
        message: M,
        msg_id: Option<String>,
        error: JetStreamError,
    ) -> JetStreamPushError<M> {
        self.counters.refused.add(1);
        if matches!(error, JetStreamError::InvalidPriority) {
            self.counters.refused_invalid_priority.add(1);
        }
        JetStreamPushError {
            message,
            msg_id,
            error,
        }
    }
}

/// The counts of a [`JetStreamQueue`] handle, read without asking the server.
///
/// ```
/// let counters = elasticq_runtime::JetStreamCounters::default();
/// assert_eq!(counters.published + counters.duplicates, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JetStreamCounters {
    /// Publishes the server stored.
    pub published: u64,
    /// Publishes the server recognised as repeats of a stored one (same `Nats-Msg-Id`).
    pub duplicates: u64,
    /// Pushes handed back.
    pub refused: u64,
    /// Messages delivered to this handle.
    pub delivered: u64,
    /// Of those, deliveries after the first of their message.
    pub redelivered: u64,
    /// Acknowledgements the server confirmed.
    pub acked: u64,
    /// Negative acknowledgements the server confirmed.
    pub nacked: u64,
    /// Deliveries terminated by `term`.
    pub terminated: u64,
    /// Messages that did not decode as the queue's type, terminated.
    pub undecodable: u64,
}

/// A random prefix for this handle's message ids (the standard library's per-process random
/// hash keys, with the process id and the time), so that two producers never share an id.
fn producer_id() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since.as_nanos());
    }
    format!("{:016x}", hasher.finish())
}
