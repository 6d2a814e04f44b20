//! `Persistent`: the persistence layer: every push is written to its partition's log before
//! it enters the queue, every pop acknowledges its record.

use std::path::Path;
use std::sync::Arc;

use crossbeam_utils::CachePadded;

use super::directory::{self, Directory};
use super::fs::{FileSystem, RealFs};
use super::log::PartitionLog;
use super::logs::Logs;
use super::owed::Owed;
use super::recover;
use super::returns::Returns;
use super::syncer::Syncer;
use super::PersistError;
use super::{PersistOptions, PersistStats, SyncPolicy};
use crate::codec::Codec;
use crate::config::Config;
use crate::engine::{Engine, Hooks};
use crate::error::{Error, PushError};
use crate::layer::{Lane, Partitioned};
use crate::message::{recorded_weight, Durable, Recorded};
use crate::stats::Stats;
use crate::sync::{AtomicU64, Ordering};
use crate::wait::WaitQueue;

/// A queue whose messages are kept in a write-ahead log until they are delivered: the layer
/// `persist(...)` adds to a generated queue, over [`Partitioned`] lanes `L` of
/// [`Recorded`] messages.
///
/// - `push` writes the message's record to its partition's log, waits for it to be durable
///   under [`SyncPolicy::EveryWrite`] (sharing the `fdatasync` with concurrent pushes), and
///   only then makes the message visible to consumers.
/// - `pop` (and every other call that takes messages out) acknowledges the record at once;
///   [`pop_delivery`](Self::pop_delivery) leaves that to [`Delivery::ack`](super::Delivery::ack), and a delivery
///   not acknowledged before a crash is delivered again by the next [`open`](Self::open).
/// - `open` reads the log back: the messages not acknowledged, in their order, in their
///   partitions and levels, everything before the first torn or corrupt record (what was
///   cut is in [`persist_stats`](Self::persist_stats) and logged as a `tracing` warning).
///
/// ```
/// use elasticq_runtime::{Config, LockedQueue, PersistOptions, Persistent, Recorded};
/// # use elasticq_runtime::__doc::Job;
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
    pub(super) queue: Partitioned<Recorded<M>, L>,
    /// Recovered messages beyond `max_capacity`, waiting for room in their lanes.
    pub(super) owed: Owed<M>,
    /// Pushes refused here, before the lanes saw them (no room, or owed messages first).
    pub(super) rejected: crate::engine::Refusals,
    /// Where `push_timeout` waits for room: every call that takes messages out notifies it.
    pub(super) room: WaitQueue,
    /// `M`'s `Codec::encode`, kept so that only `open` needs the `Codec` bound: a message
    /// without an encoding is then one error, where the queue is opened.
    pub(super) encode: fn(&M, &mut Vec<u8>),
    /// The queue's weight function, if it has one; without one a message weighs its record.
    pub(super) weight: Option<fn(&M) -> usize>,
    pub(super) logs: Arc<Logs>,
    /// Deliveries handed back with `nack`, at the front of their lanes; shared with the
    /// deliveries.
    pub(super) returns: Arc<Returns<M>>,
    pub(super) syncer: Option<Syncer>,
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
    /// # use elasticq_runtime::__doc::Job;
    /// type Jobs = Persistent<Job, LockedQueue<Recorded<Job>>>;
    /// let dir = std::env::temp_dir().join(format!("elasticq-doc-open-{}", std::process::id()));
    /// let first = Jobs::open(Config::new(), PersistOptions::new(&dir))?;
    /// let second = Jobs::open(Config::new(), PersistOptions::new(&dir));
    /// assert!(matches!(second, Err(Error::Persist(PersistError::Locked { .. }))));
    /// # drop(first); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn open(config: Config, options: PersistOptions) -> Result<Self, Error>
    where
        M: Send + 'static,
    {
        Self::open_in(Arc::new(RealFs), config, options)
    }

    /// [`open`](Self::open) with `hooks`: the weight function byte bounds count (without
    /// one, a message weighs the length of its record in the log), and the callback that
    /// receives messages evicted under [`Overflow::DropOldest`](crate::Overflow). An evicted
    /// message is acknowledged in the log (so it does not come back at the next `open`)
    /// before the callback gets it. Messages recovered beyond the maximum of a `DropOldest`
    /// queue are evicted the same way, oldest first, when it opens.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("open-with-hooks");
    /// let config = Config::new().initial_capacity(2).max_capacity(2).overflow(Overflow::DropOldest);
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open_with_hooks(config, PersistOptions::new(&dir), Hooks::new())?;
    /// jobs.push_batch([Job(1), Job(2), Job(3)]).unwrap();
    /// assert_eq!(jobs.stats().dropped, 1);
    /// drop(jobs);
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(config, PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.drain(), vec![Job(2), Job(3)]); // the evicted one was acknowledged
    /// # Ok::<(), Error>(())
    /// ```
    pub fn open_with_hooks(
        config: Config,
        options: PersistOptions,
        hooks: Hooks<M>,
    ) -> Result<Self, Error>
    where
        M: Send + 'static,
    {
        Self::open_in_with(Arc::new(RealFs), config, options, hooks)
    }

    /// [`open`](Self::open) on the file system `fs`.
    pub(crate) fn open_in(
        fs: Arc<dyn FileSystem>,
        config: Config,
        options: PersistOptions,
    ) -> Result<Self, Error>
    where
        M: Send + 'static,
    {
        Self::open_in_with(fs, config, options, Hooks::new())
    }

    /// [`open_with_hooks`](Self::open_with_hooks) on the file system `fs`.
    pub(crate) fn open_in_with(
        fs: Arc<dyn FileSystem>,
        config: Config,
        options: PersistOptions,
        hooks: Hooks<M>,
    ) -> Result<Self, Error>
    where
        M: Send + 'static,
    {
        options.validate()?;
        let config = match config.partitions_are_auto() {
            true => match directory::recorded_partitions(&*fs, options.get_dir()) {
                Some(partitions) => config.partitions(partitions),
                None => config,
            },
            false => config,
        };
        let mut queue = Partitioned::<Recorded<M>, L>::with_config(config)?;
        // While the log is read back there is no log to acknowledge in: what the lanes evict
        // then (a `DropOldest` queue reopened with more than its maximum) is kept here and
        // acknowledged once the logs are open.
        let evicted_at_open = Arc::new(parking_lot::Mutex::new(Vec::new()));
        Lane::set_hooks(&mut queue, &{
            let evicted_at_open = Arc::clone(&evicted_at_open);
            recorded_hooks(move |recorded| evicted_at_open.lock().push(recorded))
        });
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
        let mut from_checkpoint = 0;
        for partition in 0..partitions {
            let files = files.remove(&(partition as u32)).unwrap_or_default();
            let found = recover::recover::<M>(&*fs, directory.path(), partition as u32, &files)?;
            planned.extend(found.cuts);
            from_checkpoint += usize::from(found.from_checkpoint);
            recovered += found.messages.len() as u64;
            for found in found.messages {
                let level = found.message.level();
                let record = Recorded {
                    partition: partition as u32,
                    weight: recorded_weight(hooks.weight, &found.message, found.len),
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
            from_checkpoint,
            cuts,
            ack_failures: AtomicU64::new(0),
            directory,
        });
        let syncer = match policy {
            SyncPolicy::Periodic(interval) => Some(Syncer::start(&logs, interval)?),
            _ => None,
        };
        let weight = hooks.weight;
        let user_hook = hooks.evicted;
        let acknowledge = {
            let logs = Arc::clone(&logs);
            move |recorded: Recorded<M>| {
                logs.ack_quietly(recorded.partition, [recorded.seq]);
                if let Some(hook) = &user_hook {
                    hook(recorded.message);
                }
            }
        };
        for recorded in std::mem::take(&mut *evicted_at_open.lock()) {
            acknowledge(recorded);
        }
        Lane::set_hooks(&mut queue, &recorded_hooks(acknowledge));
        let returns = Arc::new(Returns::new(
            Arc::clone(&logs),
            partitions,
            levels,
            <M as crate::message::Message>::level,
        ));
        Ok(Persistent {
            queue,
            owed,
            rejected: crate::engine::Refusals::new(),
            room: WaitQueue::new(),
            encode: M::encode,
            weight,
            logs,
            returns,
            syncer,
        })
    }
}

impl<M: Durable, L: Lane<Recorded<M>>> Persistent<M, L> {
    /// Writes and syncs every partition's log: whatever the policy, every push and
    /// acknowledgement made before the call is on disk when it returns `Ok`.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("sync");
    /// let options = PersistOptions::new(&dir).sync(SyncPolicy::None);
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), options)?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.persist_stats().fsyncs, 0);
    /// jobs.sync()?;
    /// assert_eq!(jobs.persist_stats().fsyncs, 1);
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
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("compact");
    /// let options = PersistOptions::new(&dir).sync(SyncPolicy::None).segment_bytes(4096);
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), options)?;
    /// jobs.push_batch((0..1000).map(Job)).unwrap();
    /// jobs.clear();
    /// assert!(jobs.compact()? > 0);
    /// assert_eq!(jobs.persist_stats().segments, 1);
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
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("persist-stats");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// let stats = jobs.persist_stats();
    /// assert_eq!((stats.recovered, stats.cuts.len()), (0, 0));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn persist_stats(&self) -> PersistStats {
        let mut stats = PersistStats {
            recovered: self.logs.recovered,
            from_checkpoint: self.logs.from_checkpoint,
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
            let (segments, bytes, live) = log.disk();
            stats.segments += segments;
            stats.disk_bytes += bytes;
            stats.live_records += live;
        }
        stats
    }

    /// The log's sync policy.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("policy");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.sync_policy(), SyncPolicy::EveryWrite);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn sync_policy(&self) -> SyncPolicy {
        self.logs.policy
    }

    /// The in-memory queue under the log, for the calls that take nothing out.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("queue");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.queue().len(), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn queue(&self) -> &Partitioned<Recorded<M>, L> {
        &self.queue
    }

    /// The lanes, to set up before the queue is shared (the metrics layer's time in queue).
    #[cfg(feature = "metrics")]
    pub(crate) fn queue_mut(&mut self) -> &mut Partitioned<Recorded<M>, L> {
        &mut self.queue
    }

    /// How many messages are queued.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("len");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.len(), 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.queue.len() + self.owed.len() + self.returns.len()
    }

    /// Whether no message is queued.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("is-empty");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert!(jobs.is_empty());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty() && !self.owed.any() && !self.returns.any()
    }

    /// Closes the queue: pushes are refused, pops take what is left.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("close");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.close();
    /// assert!(jobs.push(Job(1)).unwrap_err().is_closed());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn close(&self) {
        self.queue.close();
        self.returns.arrivals.notify_all();
    }

    /// How many messages the queue holds before it next grows (summed over lanes).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("capacity");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().initial_capacity(8), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.capacity(), 8);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.queue.capacity()
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("is-closed");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// assert!(!jobs.is_closed());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// The settings the queue was built with.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("config");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(2), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.config().get_partitions(), 2);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        Lane::config(&self.queue)
    }

    /// How many messages of `level` are queued.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("len-level");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.len_level(0), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn len_level(&self, level: usize) -> usize {
        let owed: usize = (0..self.queue.partitions())
            .map(|partition| {
                self.owed.len_at(partition, level) + self.returns.len_at(partition, level)
            })
            .sum();
        self.queue.len_level(level) + owed
    }

    /// How many partitions the queue (and its log) has.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("partitions");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(3), PersistOptions::new(&dir))?;
    /// assert_eq!(jobs.partitions(), 3);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn partitions(&self) -> usize {
        self.queue.partitions()
    }

    /// The partition a key of this [`stable_hash`](crate::stable_hash) goes to.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("partition-of-hash");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(3), PersistOptions::new(&dir))?;
    /// assert!(jobs.partition_of_hash(stable_hash("client-7")) < 3);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn partition_of_hash(&self, hash: u64) -> usize {
        self.queue.partition_of_hash(hash)
    }

    /// How many messages one partition holds.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("len-partition");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new().partitions(2), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.len_partition(0) + jobs.len_partition(1), 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn len_partition(&self, partition: usize) -> usize {
        self.queue.len_partition(partition)
            + self.owed.len_partition(partition)
            + self.returns.len_partition(partition)
    }

    /// The in-memory queue's counters.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("stats");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// jobs.push(Job(1)).unwrap();
    /// assert_eq!(jobs.stats().enqueued, 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let mut stats = self.queue.stats();
        self.rejected.add_to(&mut stats);
        // Owed messages count as queued (and as enqueued, as they will be once in their
        // lanes), so that `enqueued = dequeued + len` holds while they wait.
        let owed = self.owed.len();
        stats.len += owed;
        stats.enqueued += owed as u64;
        // A message handed back with `nack` counts once in `redelivered` when it is back in
        // its lane, in `len` while it waits there, and again in `dequeued` when it is taken:
        // `enqueued + redelivered = dequeued + len`.
        stats.redelivered += self.returns.redelivered();
        stats.dequeued += self.returns.taken();
        stats.len += self.returns.len();
        stats
    }

    /// The async wake-ups of the generated queue over this one, shared with its deliveries
    /// so that a `nack` wakes a task waiting in `pop_async`.
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("shared-signals");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open(Config::new(), PersistOptions::new(&dir))?;
    /// let signals = jobs.shared_signals(); // the generated queue's `signals`
    /// signals.pushed(1);
    /// # Ok::<(), Error>(())
    /// ```
    #[doc(hidden)]
    pub fn shared_signals(&self) -> Arc<crate::queue::Signals> {
        Arc::clone(&self.returns.signals)
    }
}

impl<M, L> Drop for Persistent<M, L> {
    fn drop(&mut self) {
        self.returns.stop();
        if let Some(syncer) = self.syncer.take() {
            syncer.stop.store(true, Ordering::Release);
            syncer.thread.thread().unpark();
            let _ = syncer.thread.join();
        }
    }
}

impl<M: Durable + Codec, L: Lane<Recorded<M>>> Persistent<M, L> {
    /// Opens a queue at `dir` with the default settings: see [`open`](Self::open).
    ///
    /// ```
    /// # use elasticq_runtime::*;
    /// # use elasticq_runtime::__doc::Job;
    /// # let dir = elasticq_runtime::__doc::log_dir("open-dir");
    /// let jobs = Persistent::<Job, LockedQueue<Recorded<Job>>>::open_dir(&dir)?;
    /// # Ok::<(), Error>(())
    /// ```
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<Self, Error>
    where
        M: Send + 'static,
    {
        Self::open(Config::new(), PersistOptions::new(dir))
    }
}

/// The hooks of a persisted queue's lanes: a recorded message weighs what its `Recorded`
/// says, and an evicted one goes to `evicted`.
fn recorded_hooks<M: Send + 'static>(
    evicted: impl Fn(Recorded<M>) + Send + Sync + 'static,
) -> Hooks<Recorded<M>> {
    Hooks::new().weight(Recorded::weight).evicted(evicted)
}
