//! `Persistent`: the persistence layer: every push is written to its partition's log before
//! it enters the queue, every pop acknowledges its record.

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::directory::Directory;
use super::fs::{FileSystem, RealFs};
use super::log::PartitionLog;
use super::owed::Owed;
use super::recover::{self, Cut};
use super::{PersistOptions, SyncPolicy};
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::wait::WaitQueue;
use crate::{
    Codec, Config, Durable, Engine, Error, Lane, Partitioned, PersistError, PopError, PushError,
    Recorded, Stats,
};

/// The logs of a persisted queue's partitions, and the directory they are in (held, so
/// locked, as long as the queue or one of its deliveries is alive).
pub(crate) struct Logs {
    partitions: Box<[CachePadded<PartitionLog>]>,
    policy: SyncPolicy,
    recovered: u64,
    cuts: Vec<Cut>,
    ack_failures: AtomicU64,
    // Dropped after the logs (fields drop in order), which sync on drop.
    directory: Directory,
}

impl Logs {
    fn log(&self, partition: u32) -> &PartitionLog {
        &self.partitions[partition as usize]
    }

    /// Acknowledges records without waiting for the acknowledgements to be durable. A failure
    /// is counted and logged: the message was delivered, and comes back after a restart.
    fn ack_quietly(&self, partition: u32, seqs: impl IntoIterator<Item = u64>) {
        if let Err(error) = self.log(partition).ack(seqs) {
            self.ack_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, partition, "elasticq: could not acknowledge a delivered message; it is delivered again after the queue reopens");
        }
    }
}

/// A queue whose messages are kept in a write-ahead log until they are delivered: the layer
/// `persist(...)` adds to a generated queue, over [`Partitioned`] lanes `L` of
/// [`Recorded`] messages.
///
/// - `push` writes the message's record to its partition's log, waits for it to be durable
///   under [`SyncPolicy::EveryWrite`] (sharing the `fdatasync` with concurrent pushes), and
///   only then makes the message visible to consumers.
/// - `pop` (and every other call that takes messages out) acknowledges the record at once;
///   [`pop_delivery`](Self::pop_delivery) leaves that to [`Delivery::ack`], and a delivery
///   not acknowledged before a crash is delivered again by the next [`open`](Self::open).
/// - `open` reads the log back: the messages not acknowledged, in their order, in their
///   partitions and levels, everything before the first torn or corrupt record (what was
///   cut is in [`persist_stats`](Self::persist_stats) and logged as a `tracing` warning).
///
/// ```
/// use elasticq_runtime::{Config, LockedQueue, PersistOptions, Persistent, Recorded};
/// # use elasticq_runtime::{Lane, Message, Durable};
/// # #[derive(Debug, PartialEq)] struct Job(u32);
/// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
/// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
/// # impl elasticq_runtime::Codec for Job {
/// #     fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) }
/// #     fn decode(input: &mut &[u8]) -> Result<Self, elasticq_runtime::DecodeError> { u32::decode(input).map(Job) }
/// # }
/// type Jobs = Persistent<Job, LockedQueue<Recorded<Job>>>;
///
/// let dir = std::env::temp_dir().join(format!("elasticq-doc-persistent-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// {
///     let jobs = Jobs::open(Config::new(), PersistOptions::new(&dir))?;
///     jobs.push(Job(1)).unwrap();
///     jobs.push(Job(2)).unwrap();
///     let delivery = jobs.pop_delivery().unwrap();
///     assert_eq!(*delivery, Job(1)); // delivered, not acknowledged
/// }
/// let jobs = Jobs::open(Config::new(), PersistOptions::new(&dir))?;
/// assert_eq!(jobs.pop(), Some(Job(1))); // delivered again
/// assert_eq!(jobs.pop(), Some(Job(2)));
/// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct Persistent<M, L> {
    queue: Partitioned<Recorded<M>, L>,
    /// Recovered messages beyond `max_capacity`, waiting for room in their lanes.
    owed: Owed<M>,
    /// Pushes refused here, before the lanes saw them (no room, or owed messages first).
    rejected: AtomicU64,
    /// Where `push_timeout` waits for room: every call that takes messages out notifies it.
    room: WaitQueue,
    /// `M`'s `Codec::encode`, kept so that only `open` needs the `Codec` bound: a message
    /// without an encoding is then one error, where the queue is opened.
    encode: fn(&M, &mut Vec<u8>),
    logs: Arc<Logs>,
    syncer: Option<Syncer>,
}

struct Syncer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl<M: Durable + Codec, L: Lane<Recorded<M>>> Persistent<M, L> {
    /// Opens the log in `options`' directory (creating it if needed), recovers what it
    /// holds and builds the queue around it.
    ///
    /// Errors: invalid settings; [`PersistError::Locked`] when another queue has the
    /// directory open; a damaged or foreign file (named, with the offset); a log written with
    /// another number of partitions; more recovered messages than the maximum capacity.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, LockedQueue, PersistOptions, PersistError, Persistent, Recorded, Error};
    /// # use elasticq_runtime::{Lane, Message, Durable};
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl elasticq_runtime::Codec for Job {
    /// #     fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) }
    /// #     fn decode(input: &mut &[u8]) -> Result<Self, elasticq_runtime::DecodeError> { u32::decode(input).map(Job) }
    /// # }
    /// type Jobs = Persistent<Job, LockedQueue<Recorded<Job>>>;
    /// let dir = std::env::temp_dir().join(format!("elasticq-doc-open-{}", std::process::id()));
    /// let first = Jobs::open(Config::new(), PersistOptions::new(&dir))?;
    /// let second = Jobs::open(Config::new(), PersistOptions::new(&dir));
    /// assert!(matches!(second, Err(Error::Persist(PersistError::Locked { .. }))));
    /// # drop(first); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn open(config: Config, options: PersistOptions) -> Result<Self, Error> {
        Self::open_in(Arc::new(RealFs), config, options)
    }

    /// [`open`](Self::open) on the file system `fs`.
    pub(crate) fn open_in(
        fs: Arc<dyn FileSystem>,
        config: Config,
        options: PersistOptions,
    ) -> Result<Self, Error> {
        options.validate()?;
        let queue = Partitioned::<Recorded<M>, L>::with_config(config)?;
        let partitions = queue.partitions();
        let levels = queue.partition(0).map_or(1, |lane| lane.levels());
        let owed = Owed::new(partitions, levels);
        let policy = options.get_sync();
        let durable = policy != SyncPolicy::None;
        let (directory, mut files) =
            Directory::open(Arc::clone(&fs), options.get_dir(), partitions)?;
        let mut logs = Vec::with_capacity(partitions);
        let mut planned = Vec::new();
        let mut resumes = Vec::with_capacity(partitions);
        let mut recovered = 0;
        for partition in 0..partitions {
            let files = files.remove(&(partition as u32)).unwrap_or_default();
            let found = recover::recover::<M>(&*fs, partition as u32, &files)?;
            planned.extend(found.cuts);
            recovered += found.messages.len() as u64;
            for found in found.messages {
                let level = found.message.level();
                let record = Recorded {
                    partition: partition as u32,
                    seq: found.seq,
                    message: found.message,
                };
                // Owed messages always come back: what the lane cannot take under its
                // maximum waits in `owed`, behind what it took (see `owed`).
                if owed.blocks(partition, level) {
                    owed.hold(partition, level, record);
                    continue;
                }
                match queue.push_to(partition, record) {
                    Ok(()) => {}
                    Err(PushError::InvalidPriority(_)) => {
                        return Err(PersistError::Priority {
                            path: found.path,
                            offset: found.offset,
                        }
                        .into())
                    }
                    Err(refused) => owed.hold(partition, level, refused.into_inner()),
                }
            }
            resumes.push(found.resume);
        }
        // Every partition read back: only now is any file changed.
        let cuts = recover::apply(&*fs, directory.path(), planned, durable)?;
        for (partition, resume) in resumes.into_iter().enumerate() {
            let log = PartitionLog::new(
                Arc::clone(&fs),
                directory.path(),
                partition as u32,
                policy,
                options.get_segment_bytes(),
                resume,
            )?;
            logs.push(CachePadded::new(log));
        }
        let logs = Arc::new(Logs {
            partitions: logs.into_boxed_slice(),
            policy,
            recovered,
            cuts,
            ack_failures: AtomicU64::new(0),
            directory,
        });
        let syncer = match policy {
            SyncPolicy::Periodic(interval) => Some(Syncer::start(&logs, interval)?),
            _ => None,
        };
        Ok(Persistent {
            queue,
            owed,
            rejected: AtomicU64::new(0),
            room: WaitQueue::new(),
            encode: M::encode,
            logs,
            syncer,
        })
    }
}

impl<M: Durable, L: Lane<Recorded<M>>> Persistent<M, L> {
    fn partition_for(&self, message: &M) -> u32 {
        self.queue.route(message.route()) as u32
    }

    /// Whether a push of `level` to `partition` must be refused as full before anything is
    /// written: the lane is at its maximum, or owed messages wait for its room. A push that
    /// passes can still be refused by the lane (another push took the room meanwhile); its
    /// record is then withdrawn durably.
    fn no_room(&self, partition: u32, level: usize) -> bool {
        let partition = partition as usize;
        if self.owed.blocks(partition, level) {
            return true;
        }
        self.queue.partition(partition).is_some_and(|lane| {
            lane.len_level(level) >= Lane::config(&self.queue).get_max_capacity()
        })
    }

    /// Refuses `message` without writing it, counting the refusal.
    fn refuse<T>(&self, error: PushError<T>, count: usize) -> PushError<T> {
        self.rejected.fetch_add(count as u64, Ordering::Relaxed);
        error
    }

    /// Writes `message`'s record to `partition`'s log and waits for it as the policy says;
    /// the message comes back with the error if the log refused it.
    fn record(&self, partition: u32, message: M) -> Result<Recorded<M>, PushError<M>> {
        let log = self.logs.log(partition);
        let written = log
            .append(message.level(), &message, self.encode)
            .and_then(|(seq, position)| log.wait_durable(position).map(|()| seq));
        match written {
            Ok(seq) => Ok(Recorded {
                partition,
                seq,
                message,
            }),
            Err(error) => Err(PushError::Persist(message, Box::new(error))),
        }
    }

    /// A record whose message the queue refused after all: acknowledged, and the
    /// acknowledgement made durable before the refusal is returned, whatever the policy, so
    /// that a refused message never comes back after a crash. If the acknowledgement cannot
    /// be made durable, the refusal becomes [`PushError::Persist`]: the log has failed, and
    /// the message may come back.
    fn withdraw(&self, error: PushError<Recorded<M>>) -> PushError<M> {
        let (partition, seq) = match &error {
            PushError::Full(r)
            | PushError::Closed(r)
            | PushError::InvalidPriority(r)
            | PushError::Persist(r, _) => (r.partition, r.seq),
        };
        let log = self.logs.log(partition);
        match log
            .ack([seq])
            .and_then(|position| log.sync_through(position))
        {
            Ok(()) => error.map(|recorded| recorded.message),
            Err(failed) => {
                self.logs.ack_failures.fetch_add(1, Ordering::Relaxed);
                PushError::Persist(error.into_inner().message, Box::new(failed))
            }
        }
    }

    /// Withdraws every record of `batch` (see [`withdraw`](Self::withdraw)), one sync per
    /// partition; returns their messages, in order, and the first failure.
    fn withdraw_batch(&self, batch: Vec<Recorded<M>>) -> (Vec<M>, Option<PersistError>) {
        let mut seqs: Vec<Vec<u64>> = vec![Vec::new(); self.queue.partitions()];
        let messages = batch
            .into_iter()
            .map(|recorded| {
                seqs[recorded.partition as usize].push(recorded.seq);
                recorded.message
            })
            .collect();
        let mut failure = None;
        for (partition, seqs) in seqs.into_iter().enumerate() {
            if seqs.is_empty() {
                continue;
            }
            let log = self.logs.log(partition as u32);
            if let Err(error) = log
                .ack(seqs)
                .and_then(|position| log.sync_through(position))
            {
                self.logs.ack_failures.fetch_add(1, Ordering::Relaxed);
                failure.get_or_insert(error);
            }
        }
        (messages, failure)
    }

    fn acked(&self, recorded: Recorded<M>) -> M {
        self.logs.ack_quietly(recorded.partition, [recorded.seq]);
        recorded.message
    }

    fn acked_batch(&self, batch: Vec<Recorded<M>>) -> Vec<M> {
        let mut seqs: Vec<Vec<u64>> = vec![Vec::new(); self.queue.partitions()];
        let messages = batch
            .into_iter()
            .map(|recorded| {
                seqs[recorded.partition as usize].push(recorded.seq);
                recorded.message
            })
            .collect();
        for (partition, seqs) in seqs.into_iter().enumerate() {
            if !seqs.is_empty() {
                self.logs.ack_quietly(partition as u32, seqs);
            }
        }
        messages
    }

    /// Moves owed messages of `partition` (`None`: every partition) into the room their
    /// lanes have.
    fn refill(&self, partition: Option<usize>) {
        if self.owed.any() {
            let push = |partition: usize, recorded| self.queue.push_to(partition, recorded);
            match partition {
                Some(partition) => self.owed.refill(partition, |r| push(partition, r)),
                None => self.owed.refill_all(push),
            }
        }
    }

    /// After messages left `partition` (`None`: any partition): owed messages move into
    /// the room first, then pushes waiting for room are told.
    fn taken_from(&self, partition: Option<usize>) {
        self.refill(partition);
        self.room.notify_all();
    }

    /// Takes up to `max` messages with `take` (given how many are still wanted), moving
    /// owed messages into the room it makes, until `max` are taken or no more come.
    fn take_batch(
        &self,
        partition: Option<usize>,
        max: usize,
        mut take: impl FnMut(usize) -> Vec<Recorded<M>>,
    ) -> Vec<Recorded<M>> {
        let mut batch = take(max);
        while batch.len() < max && self.owed.any() {
            self.refill(partition);
            let more = take(max - batch.len());
            if more.is_empty() {
                break;
            }
            batch.extend(more);
        }
        self.taken_from(partition);
        batch
    }

    fn take_one(
        &self,
        partition: Option<usize>,
        mut take: impl FnMut() -> Option<Recorded<M>>,
    ) -> Option<Recorded<M>> {
        let mut found = take();
        if found.is_none() && self.owed.any() {
            self.refill(partition);
            found = take();
        }
        self.taken_from(
            found
                .as_ref()
                .map_or(partition, |r| Some(r.partition as usize)),
        );
        found
    }

    /// Tries to push once: refused without a write when there is no room, else written and
    /// queued (its record withdrawn if the lane refuses it after all).
    fn try_push(&self, partition: u32, message: M) -> Result<(), PushError<M>> {
        if self.queue.is_closed() {
            return Err(self.refuse(PushError::Closed(message), 1));
        }
        if self.no_room(partition, message.level()) {
            return Err(self.refuse(PushError::Full(message), 1));
        }
        let recorded = self.record(partition, message)?;
        self.queue
            .push_to(partition as usize, recorded)
            .map_err(|error| self.withdraw(error))
    }

    /// Writes `message` to the log, then queues it. Returns once the record is as durable
    /// as the [`SyncPolicy`] promises (on disk, under `EveryWrite`). A full or closed queue
    /// hands the message back (its record is withdrawn); so does a log that cannot be
    /// written ([`PushError::Persist`]).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-push-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(7)).unwrap();
    /// assert_eq!(jobs.persist_stats().records_written, 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push(&self, message: M) -> Result<(), PushError<M>> {
        let partition = self.partition_for(&message);
        self.try_push(partition, message)
    }

    /// [`push`](Self::push), waiting up to `timeout` for room in the queue.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-push-timeout-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().max_capacity(1), PersistOptions::new(&dir))?;
    /// jobs.push_timeout(Job(1), Duration::from_millis(1)).unwrap();
    /// let refused = jobs.push_timeout(Job(2), Duration::from_millis(1)).unwrap_err();
    /// assert!(refused.is_full());
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push_timeout(&self, message: M, timeout: Duration) -> Result<(), PushError<M>> {
        let partition = self.partition_for(&message);
        // Room is waited for before anything is written: a push that times out leaves no
        // record behind.
        let mut message = match self.try_push(partition, message) {
            Err(PushError::Full(message)) => Some(message),
            done => return done,
        };
        let mut outcome = None;
        let deadline = crate::engine::deadline_after(timeout);
        self.room.wait_rechecking(deadline, || {
            let Some(pending) = message.take() else {
                return true;
            };
            match self.try_push(partition, pending) {
                Err(PushError::Full(pending)) => {
                    message = Some(pending);
                    false
                }
                done => {
                    outcome = Some(done);
                    true
                }
            }
        });
        match (outcome, message) {
            (Some(done), _) => done,
            (None, Some(message)) => Err(PushError::Full(message)),
            (None, None) => Ok(()),
        }
    }

    /// Writes every message to the log (one sync per partition for the whole batch), then
    /// queues them in order. On failure, hands back the message that failed and every one
    /// after it.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-push-batch-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..100).map(Job)).unwrap();
    /// assert_eq!(jobs.persist_stats().fsyncs, 1);
    /// assert_eq!(jobs.pop_batch(2), vec![Job(0), Job(1)]);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn push_batch<I: IntoIterator<Item = M>>(&self, items: I) -> Result<(), PushError<Vec<M>>> {
        let items: Vec<M> = items.into_iter().collect();
        if self.queue.is_closed() {
            let count = items.len();
            return Err(self.refuse(PushError::Closed(items), count));
        }
        let max = Lane::config(&self.queue).get_max_capacity();
        let mut positions = vec![0u64; self.queue.partitions()];
        // Room taken by this batch so far, per (partition, level): a message its lane has no
        // room for ends the batch before it is written.
        let mut taken: Vec<((u32, usize), usize)> = Vec::new();
        let mut written = Vec::with_capacity(items.len());
        let mut items = items.into_iter();
        let mut stopped: Option<(M, Option<PersistError>)> = None;
        for message in items.by_ref() {
            let partition = self.partition_for(&message);
            let level = message.level();
            let slot = match taken.iter().position(|(at, _)| *at == (partition, level)) {
                Some(slot) => slot,
                None => {
                    taken.push(((partition, level), 0));
                    taken.len() - 1
                }
            };
            let queued = self
                .queue
                .partition(partition as usize)
                .map_or(0, |lane| lane.len_level(level));
            if self.owed.blocks(partition as usize, level) || queued + taken[slot].1 >= max {
                stopped = Some((message, None));
                break;
            }
            match self
                .logs
                .log(partition)
                .append(level, &message, self.encode)
            {
                Ok((seq, position)) => {
                    positions[partition as usize] = position;
                    taken[slot].1 += 1;
                    written.push(Recorded {
                        partition,
                        seq,
                        message,
                    });
                }
                Err(error) => {
                    stopped = Some((message, Some(error)));
                    break;
                }
            }
        }
        let rest = |first: Vec<M>, stopped: Option<M>, items: std::vec::IntoIter<M>| -> Vec<M> {
            first.into_iter().chain(stopped).chain(items).collect()
        };
        for (partition, &position) in positions.iter().enumerate() {
            if position == 0 {
                continue;
            }
            if let Err(error) = self.logs.log(partition as u32).wait_durable(position) {
                // Not durable: nothing of the batch is queued. The log has failed, so the
                // withdrawals cannot be made durable either; the records may come back.
                let all = self.acked_batch(written);
                let stopped = stopped.map(|(message, _)| message);
                return Err(PushError::Persist(
                    rest(all, stopped, items),
                    Box::new(error),
                ));
            }
        }
        let mut written = written.into_iter();
        while let Some(recorded) = written.next() {
            let partition = recorded.partition as usize;
            if let Err(error) = self.queue.push_to(partition, recorded) {
                let error = self.withdraw(error);
                let (unqueued, failure) = self.withdraw_batch(written.collect());
                let stopped = stopped.map(|(message, _)| message);
                let error = error.map(|first| rest(vec![first], None, Vec::new().into_iter()));
                let all = |first: Vec<M>| {
                    rest(first.into_iter().chain(unqueued).collect(), stopped, items)
                };
                return Err(match (error, failure) {
                    (PushError::Persist(first, error), _) => PushError::Persist(all(first), error),
                    (_, Some(failure)) => PushError::Persist(all(Vec::new()), Box::new(failure)),
                    (error, None) => error.map(all),
                });
            }
        }
        match stopped {
            None => Ok(()),
            Some((message, None)) => {
                let refused = rest(Vec::new(), Some(message), items);
                let count = refused.len();
                Err(self.refuse(PushError::Full(refused), count))
            }
            Some((message, Some(error))) => Err(PushError::Persist(
                rest(Vec::new(), Some(message), items),
                Box::new(error),
            )),
        }
    }

    /// Takes the next message (highest priority first, partitions in turn) and acknowledges
    /// its record. The acknowledgement is written without waiting for a sync: if the process
    /// dies before the next sync, the message may be delivered again (at least once).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(3)).unwrap();
    /// assert_eq!(jobs.pop(), Some(Job(3)));
    /// assert_eq!(jobs.persist_stats().acks_written, 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop(&self) -> Option<M> {
        self.take_one(None, || self.queue.pop())
            .map(|recorded| self.acked(recorded))
    }

    /// Takes the next message without acknowledging it: [`Delivery::ack`] does, once the
    /// message is handled. A delivery dropped or never acknowledged is delivered again after
    /// the queue is next opened (not before: it has left this queue's memory).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-delivery-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(3)).unwrap();
    /// let delivery = jobs.pop_delivery().unwrap();
    /// assert_eq!(delivery.ack().unwrap(), Job(3)); // durable when it returns (EveryWrite)
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery(&self) -> Option<Delivery<M>> {
        self.take_one(None, || self.queue.pop())
            .map(|recorded| self.delivery(recorded))
    }

    fn delivery(&self, recorded: Recorded<M>) -> Delivery<M> {
        Delivery {
            logs: Arc::clone(&self.logs),
            partition: recorded.partition,
            seq: recorded.seq,
            message: recorded.message,
        }
    }

    /// Like [`pop_delivery`](Self::pop_delivery), from one partition.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-delivery-from-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(3)).unwrap();
    /// assert_eq!(jobs.pop_delivery_from(0).map(|d| d.partition()), Some(0));
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery_from(&self, partition: usize) -> Option<Delivery<M>> {
        self.take_one(Some(partition), || self.queue.pop_from(partition))
            .map(|recorded| self.delivery(recorded))
    }

    /// Up to `max` deliveries from one partition, oldest first: what a batch processor takes
    /// and acknowledges once the batch is handled.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-delivery-batch-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..5).map(Job)).unwrap();
    /// let batch = jobs.pop_delivery_batch_from(0, 3);
    /// assert_eq!(batch.len(), 3);
    /// assert_eq!(Delivery::ack_all(batch).unwrap(), vec![Job(0), Job(1), Job(2)]);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_delivery_batch_from(&self, partition: usize, max: usize) -> Vec<Delivery<M>> {
        self.take_batch(Some(partition), max, |max| {
            self.queue.pop_batch_from(partition, max)
        })
        .into_iter()
        .map(|recorded| self.delivery(recorded))
        .collect()
    }

    /// Up to `max` messages, acknowledged (see [`pop`](Self::pop)).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-batch-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch((0..3).map(Job)).unwrap();
    /// assert_eq!(jobs.pop_batch(10).len(), 3);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_batch(&self, max: usize) -> Vec<M> {
        self.acked_batch(self.take_batch(None, max, |max| self.queue.pop_batch(max)))
    }

    /// Waits up to `timeout` for a message, then acknowledges it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-timeout-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.pop_timeout(Duration::from_millis(1)).err(), Some(PopError::Timeout));
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_timeout(&self, timeout: Duration) -> Result<M, PopError> {
        if let Some(recorded) = self.take_one(None, || self.queue.pop()) {
            return Ok(self.acked(recorded));
        }
        let recorded = self.queue.pop_timeout(timeout)?;
        self.taken_from(Some(recorded.partition as usize));
        Ok(self.acked(recorded))
    }

    /// Takes the next message of `level` (see [`Lane::pop_level`]) and acknowledges it.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-level-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.pop_level(0), Some(Job(1)));
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_level(&self, level: usize) -> Option<M> {
        self.take_one(None, || self.queue.pop_level(level))
            .map(|recorded| self.acked(recorded))
    }

    /// Takes the next message of one partition and acknowledges it.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-from-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(2), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap(); // no key: partitions in turn, from 0
    /// assert_eq!(jobs.pop_from(1), None);
    /// assert_eq!(jobs.pop_from(0), Some(Job(1)));
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_from(&self, partition: usize) -> Option<M> {
        self.take_one(Some(partition), || self.queue.pop_from(partition))
            .map(|recorded| self.acked(recorded))
    }

    /// Up to `max` messages of one partition, acknowledged.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-pop-batch-from-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch([Job(1), Job(2)]).unwrap();
    /// assert_eq!(jobs.pop_batch_from(0, 5), vec![Job(1), Job(2)]);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn pop_batch_from(&self, partition: usize, max: usize) -> Vec<M> {
        self.acked_batch(self.take_batch(Some(partition), max, |max| {
            self.queue.pop_batch_from(partition, max)
        }))
    }

    /// Takes every message and acknowledges them.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # #[derive(Debug, PartialEq)] struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-drain-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push_batch([Job(1), Job(2)]).unwrap();
    /// assert_eq!(jobs.drain(), vec![Job(1), Job(2)]);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn drain(&self) -> Vec<M> {
        self.acked_batch(self.take_batch(None, usize::MAX, |_| self.queue.drain()))
    }

    /// Removes every message, acknowledged, so none comes back at recovery.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-clear-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// jobs.clear();
    /// assert!(jobs.is_empty());
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn clear(&self) {
        drop(self.drain());
    }

    /// Writes and syncs every partition's log: whatever the policy, every push and
    /// acknowledgement made before the call is on disk when it returns `Ok`.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-sync-{}", std::process::id()));
    /// let options = PersistOptions::new(&dir).sync(SyncPolicy::None);
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), options)?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.persist_stats().fsyncs, 0);
    /// jobs.sync()?;
    /// assert_eq!(jobs.persist_stats().fsyncs, 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&self) -> Result<(), PersistError> {
        self.logs.partitions.iter().try_for_each(|log| log.sync())
    }

    /// Deletes the segment files whose messages are all acknowledged (oldest first, up to
    /// the first that still owes one); returns the bytes freed. Rolling to a new segment
    /// does this too, so disk use stays bounded while consumers keep up.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-compact-{}", std::process::id()));
    /// let options = PersistOptions::new(&dir).sync(SyncPolicy::None).segment_bytes(4096);
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), options)?;
    /// jobs.push_batch((0..1000).map(Job)).unwrap();
    /// jobs.clear();
    /// assert!(jobs.compact()? > 0);
    /// assert_eq!(jobs.persist_stats().segments, 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compact(&self) -> Result<u64, PersistError> {
        self.logs
            .partitions
            .iter()
            .try_fold(0, |freed, log| Ok(freed + log.compact()?))
    }

    /// What the log has written and synced, what is on disk, and what the last `open`
    /// recovered and cut.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-persist-stats-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// let stats = jobs.persist_stats();
    /// assert_eq!((stats.recovered, stats.cuts.len()), (0, 0));
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn persist_stats(&self) -> PersistStats {
        let mut stats = PersistStats {
            recovered: self.logs.recovered,
            cuts: self.logs.cuts.clone(),
            ack_failures: self.logs.ack_failures.load(Ordering::Relaxed),
            ..PersistStats::default()
        };
        for log in self.logs.partitions.iter() {
            let counters = &log.counters;
            stats.records_written += counters.records.load(Ordering::Relaxed);
            stats.acks_written += counters.acks.load(Ordering::Relaxed);
            stats.bytes_written += counters.bytes.load(Ordering::Relaxed);
            stats.fsyncs += counters.fsyncs.load(Ordering::Relaxed);
            let (segments, bytes) = log.disk();
            stats.segments += segments;
            stats.disk_bytes += bytes;
        }
        stats
    }

    /// The log's sync policy.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-policy-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.sync_policy(), SyncPolicy::EveryWrite);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sync_policy(&self) -> SyncPolicy {
        self.logs.policy
    }

    /// The in-memory queue under the log, for the calls that take nothing out.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-queue-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.queue().len(), 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn queue(&self) -> &Partitioned<Recorded<M>, L> {
        &self.queue
    }

    /// How many messages are queued.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-len-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.len(), 0);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.queue.len() + self.owed.len()
    }

    /// Whether no message is queued.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-is-empty-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert!(jobs.is_empty());
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty() && !self.owed.any()
    }

    /// Closes the queue: pushes are refused, pops take what is left.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-close-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.close();
    /// assert!(jobs.push(Job(1)).unwrap_err().is_closed());
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn close(&self) {
        self.queue.close();
    }

    /// How many messages the queue holds before it next grows (summed over lanes).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-capacity-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().initial_capacity(8), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.capacity(), 8);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.queue.capacity()
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-is-closed-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert!(!jobs.is_closed());
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// The settings the queue was built with.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-config-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(2), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.config().get_partitions(), 2);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        Lane::config(&self.queue)
    }

    /// How many messages of `level` are queued.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-len-level-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.len_level(0), 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn len_level(&self, level: usize) -> usize {
        let owed: usize = (0..self.queue.partitions())
            .map(|partition| self.owed.len_at(partition, level))
            .sum();
        self.queue.len_level(level) + owed
    }

    /// How many partitions the queue (and its log) has.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-partitions-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(3), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.partitions(), 3);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn partitions(&self) -> usize {
        self.queue.partitions()
    }

    /// The partition a key of this [`stable_hash`](crate::stable_hash) goes to.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-partition-of-hash-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(3), PersistOptions::new(&dir))?;
    /// assert!(jobs.partition_of_hash(stable_hash("client-7")) < 3);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn partition_of_hash(&self, hash: u64) -> usize {
        self.queue.partition_of_hash(hash)
    }

    /// How many messages one partition holds.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-len-partition-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(2), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.len_partition(0) + jobs.len_partition(1), 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn len_partition(&self, partition: usize) -> usize {
        self.queue.len_partition(partition) + self.owed.len_partition(partition)
    }

    /// The in-memory queue's counters.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-stats-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.stats().enqueued, 1);
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let mut stats = self.queue.stats();
        stats.rejected += self.rejected.load(Ordering::Relaxed);
        stats.len += self.owed.len();
        stats
    }
}

impl<M, L> Drop for Persistent<M, L> {
    fn drop(&mut self) {
        if let Some(syncer) = self.syncer.take() {
            syncer.stop.store(true, Ordering::Release);
            syncer.thread.thread().unpark();
            let _ = syncer.thread.join();
        }
    }
}

impl Syncer {
    fn start(logs: &Arc<Logs>, interval: Duration) -> Result<Self, PersistError> {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = Arc::downgrade(logs);
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("elasticq-log-sync".into())
            .spawn(move || loop {
                std::thread::park_timeout(interval);
                if stopped.load(Ordering::Acquire) {
                    return;
                }
                let Some(logs) = weak.upgrade() else { return };
                for log in logs.partitions.iter() {
                    if let Err(error) = log.sync() {
                        tracing::warn!(%error, partition = log.partition(), "elasticq: periodic log sync failed");
                    }
                }
            })
            .map_err(|e| PersistError::io(logs.directory.path(), "start the sync thread", &e))?;
        Ok(Syncer { stop, thread })
    }
}

/// A message taken with [`Persistent::pop_delivery`], not yet acknowledged: if it is never
/// acknowledged (dropped, or the process dies first), the next `open` of the queue delivers
/// it again. It derefs to the message.
///
/// ```
/// use elasticq_runtime::Delivery;
/// fn handle(delivery: Delivery<String>) {
///     println!("{}", delivery.len()); // the message, through Deref
///     match delivery.ack() {
///         Ok(message) => drop(message),
///         Err(failed) => eprintln!("will be delivered again: {}", failed.error()),
///     }
/// }
/// ```
#[must_use = "a delivery not acknowledged is delivered again after the queue reopens"]
pub struct Delivery<M> {
    logs: Arc<Logs>,
    partition: u32,
    seq: u64,
    message: M,
}

impl<M> Delivery<M> {
    /// Acknowledges the message and hands it over. Under [`SyncPolicy::EveryWrite`] the
    /// acknowledgement is on disk when this returns (so the message never comes back); under
    /// the other policies it is as durable as a push. On failure the message is handed back
    /// with the error, and it will be delivered again after the queue reopens.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn done(delivery: Delivery<u32>) -> u32 {
    ///     delivery.ack().unwrap_or_else(|failed| failed.into_message())
    /// }
    /// ```
    pub fn ack(self) -> Result<M, AckError<M>> {
        let log = self.logs.log(self.partition);
        match log
            .ack([self.seq])
            .and_then(|position| log.wait_durable(position))
        {
            Ok(()) => Ok(self.message),
            Err(error) => Err(AckError {
                message: self.message,
                error,
            }),
        }
    }

    /// Acknowledges a batch of deliveries, with one sync per partition under
    /// [`SyncPolicy::EveryWrite`]; hands the messages over in order. On a failure, every
    /// message comes back with the first error (none is certain to be acknowledged).
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn done(batch: Vec<Delivery<u32>>) -> usize {
    ///     Delivery::ack_all(batch).map_or(0, |messages| messages.len())
    /// }
    /// ```
    pub fn ack_all(batch: Vec<Delivery<M>>) -> Result<Vec<M>, AckError<Vec<M>>> {
        // Deliveries may come from several queues (and so several logs): each is
        // acknowledged in its own log, grouped by log and partition.
        let mut groups: Vec<(Arc<Logs>, u32, Vec<u64>)> = Vec::new();
        let mut messages = Vec::with_capacity(batch.len());
        for delivery in batch {
            let found = groups.iter_mut().find(|(logs, partition, _)| {
                Arc::ptr_eq(logs, &delivery.logs) && *partition == delivery.partition
            });
            match found {
                Some((_, _, seqs)) => seqs.push(delivery.seq),
                None => groups.push((delivery.logs, delivery.partition, vec![delivery.seq])),
            }
            messages.push(delivery.message);
        }
        let mut first_error = None;
        for (logs, partition, seqs) in groups {
            let log = logs.log(partition);
            if let Err(error) = log
                .ack(seqs)
                .and_then(|position| log.wait_durable(position))
            {
                first_error.get_or_insert(error);
            }
        }
        match first_error {
            None => Ok(messages),
            Some(error) => Err(AckError {
                message: messages,
                error,
            }),
        }
    }

    /// The message.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn peek(delivery: &Delivery<String>) -> &str { delivery.message() }
    /// ```
    pub fn message(&self) -> &M {
        &self.message
    }

    /// The partition the message came from.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn partition(delivery: &Delivery<String>) -> usize { delivery.partition() }
    /// ```
    pub fn partition(&self) -> usize {
        self.partition as usize
    }

    /// Takes the message without acknowledging it: it will be delivered again after the
    /// queue reopens.
    ///
    /// ```
    /// # use elasticq_runtime::Delivery;
    /// fn keep(delivery: Delivery<String>) -> String { delivery.into_unacked() }
    /// ```
    pub fn into_unacked(self) -> M {
        self.message
    }
}

impl<M> std::ops::Deref for Delivery<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.message
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Delivery<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("partition", &self.partition)
            .field("seq", &self.seq)
            .field("message", &self.message)
            .finish()
    }
}

/// An acknowledgement that could not be written: the message (or batch) comes back with the
/// error.
///
/// ```
/// use elasticq_runtime::AckError;
/// fn report(failed: AckError<u32>) -> u32 {
///     eprintln!("{failed}");
///     failed.into_message()
/// }
/// ```
#[derive(Debug)]
pub struct AckError<M> {
    message: M,
    error: PersistError,
}

impl<M> AckError<M> {
    /// Why the acknowledgement failed.
    ///
    /// ```
    /// # use elasticq_runtime::{AckError, PersistError};
    /// fn why(failed: &AckError<u32>) -> &PersistError { failed.error() }
    /// ```
    pub fn error(&self) -> &PersistError {
        &self.error
    }

    /// The message that was not acknowledged.
    ///
    /// ```
    /// # use elasticq_runtime::AckError;
    /// fn back(failed: AckError<u32>) -> u32 { failed.into_message() }
    /// ```
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<M> std::fmt::Display for AckError<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not acknowledge the delivery: {}", self.error)
    }
}

impl<M: std::fmt::Debug> std::error::Error for AckError<M> {}

/// What a persisted queue's log has done (see [`Persistent::persist_stats`]).
///
/// ```
/// use elasticq_runtime::PersistStats;
/// fn per_fsync(stats: &PersistStats) -> f64 {
///     stats.records_written as f64 / stats.fsyncs.max(1) as f64
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PersistStats {
    /// Message records written since `open`.
    pub records_written: u64,
    /// Acknowledgements written since `open`.
    pub acks_written: u64,
    /// Bytes appended to the log since `open`.
    pub bytes_written: u64,
    /// `fdatasync` calls since `open`.
    pub fsyncs: u64,
    /// Segment files on disk now.
    pub segments: usize,
    /// Their total size in bytes.
    pub disk_bytes: u64,
    /// Messages `open` read back from the log.
    pub recovered: u64,
    /// What `open` cut from a damaged log (empty when nothing was).
    pub cuts: Vec<Cut>,
    /// Acknowledgements that could not be written (their messages come back after a
    /// restart).
    pub ack_failures: u64,
}

impl<M: Durable + Codec, L: Lane<Recorded<M>>> Persistent<M, L> {
    /// Opens a queue at `dir` with the default settings: see [`open`](Self::open).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # struct Job(u32);
    /// # impl Message for Job { type Queue = (); type Lanes<E: Lane<Self>> = E; const NAME: &'static str = "Job"; }
    /// # impl Durable for Job { type RecordedLanes<E: Lane<Recorded<Self>>> = E; }
    /// # impl Codec for Job { fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) } fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { u32::decode(input).map(Job) } }
    /// # let dir = std::env::temp_dir().join(format!("elasticq-doc-open-dir-{}", std::process::id()));
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open_dir(&dir)?;
    /// # drop(jobs); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open(Config::new(), PersistOptions::new(dir))
    }
}
