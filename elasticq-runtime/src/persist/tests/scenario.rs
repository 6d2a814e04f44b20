//! A scenario: a seeded sequence of calls on a persisted queue over a [`SimFs`], the model of
//! what each call's outcome promises, and the check of a recovered queue against it.
//!
//! The queue has 2 partitions, 2 priority levels, `max_capacity` 3 per lane and the smallest
//! segments, so that refusals, owed messages above max, rolls and deletions all happen in a
//! few dozen calls. Message ids are given in call order, so within a lane (partition and
//! level) push order is id order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parking_lot::Mutex;

use super::sim::SimFs;
use crate::codec::{Codec, DecodeError};
use crate::config::Config;
use crate::config::Overflow;
use crate::engine::{Hooks, LockedQueue};
use crate::error::PushError;
use crate::layer::{Lane, PriorityLevels};
use crate::message::{Durable, Message, Prioritized, Recorded};
use crate::persist::{Delivery, PersistOptions, Persistent, SyncPolicy, MIN_SEGMENT_BYTES};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Msg {
    pub(crate) id: u32,
    key: u8,
    level: u8,
    pad: u16,
}

impl Message for Msg {
    type Queue = ();
    type Lanes<E: Lane<Self>> = E;
    const NAME: &'static str = "Msg";

    fn route(&self) -> Option<u64> {
        Some(crate::engine::stable_hash(&self.key))
    }

    fn level(&self) -> usize {
        self.level as usize
    }
}

impl Prioritized for Msg {
    type Level = u8;
    const LEVELS: usize = 2;

    fn priority(&self) -> Option<usize> {
        Some(self.level as usize)
    }

    fn level_index(level: &u8) -> Option<usize> {
        Some(*level as usize)
    }
}

impl Durable for Msg {
    type RecordedLanes<E: Lane<Recorded<Self>>> = E;
}

impl Codec for Msg {
    fn encode(&self, out: &mut Vec<u8>) {
        self.id.encode(out);
        self.key.encode(out);
        self.level.encode(out);
        self.pad.encode(out);
        out.extend(std::iter::repeat_n(self.id as u8, self.pad as usize));
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let id = u32::decode(input)?;
        let key = u8::decode(input)?;
        let level = u8::decode(input)?;
        let pad = u16::decode(input)?;
        let Some((padding, rest)) = input.split_at_checked(pad as usize) else {
            return Err(DecodeError::UnexpectedEnd {
                needed: pad as usize - input.len(),
            });
        };
        assert!(
            padding.iter().all(|&b| b == id as u8),
            "a record whose checksum held decoded to damaged padding (message {id})"
        );
        *input = rest;
        Ok(Msg {
            id,
            key,
            level,
            pad,
        })
    }
}

/// Message `id` with partition key `key`, priority `level` and `pad` bytes of payload.
pub(crate) fn msg(id: u32, key: u8, level: u8, pad: u16) -> Msg {
    Msg {
        id,
        key,
        level,
        pad,
    }
}

/// The queue over engine `E`: the locked engine refuses a push exactly at the maximum, so
/// the room check before writing sees every refusal; the lock-free engine can refuse below
/// it (a sealed ring counts what it held until drained), so its refusals also take the
/// path that withdraws a written record.
pub(crate) type Queue<E = LockedQueue<Recorded<Msg>>> =
    Persistent<Msg, PriorityLevels<Recorded<Msg>, E>>;

/// The scenario's queue over the locked engine's lanes.
pub(crate) type Locked = LockedQueue<Recorded<Msg>>;
/// The scenario's queue over the lock-free engine's lanes.
pub(crate) type LockFree = crate::engine::LockFreeQueue<Recorded<Msg>>;

/// The ids of `messages`, in order.
pub(crate) fn ids(messages: &[Msg]) -> Vec<u32> {
    messages.iter().map(|m| m.id).collect()
}

/// A lane engine a scenario can run over.
pub(crate) trait Engine: Lane<Recorded<Msg>> {}
impl<E: Lane<Recorded<Msg>>> Engine for E {}

pub(crate) const DIR: &str = "/sim/queue";

pub(crate) fn config() -> Config {
    Config::new()
        .partitions(2)
        .initial_capacity(2)
        .min_capacity(1)
        .max_capacity(3)
}

pub(crate) fn options(policy: SyncPolicy) -> PersistOptions {
    PersistOptions::new(DIR)
        .sync(policy)
        .segment_bytes(MIN_SEGMENT_BYTES)
}

pub(crate) fn open<E: Engine>(
    fs: &SimFs,
    policy: SyncPolicy,
) -> Result<Queue<E>, crate::error::Error> {
    Queue::<E>::open_in(Arc::new(fs.clone()), config(), options(policy))
}

/// Message ids the eviction hook of a `DropOldest` queue received, in order.
pub(crate) type Evicted = Arc<Mutex<Vec<u32>>>;

/// The queue as [`open`] builds it, but evicting its oldest message when a lane is full
/// (`Overflow::DropOldest`), with a hook that records what it evicts in `evicted`.
pub(crate) fn open_evicting<E: Engine>(
    fs: &SimFs,
    policy: SyncPolicy,
    evicted: &Evicted,
) -> Result<Queue<E>, crate::error::Error> {
    let sink = Arc::clone(evicted);
    Queue::<E>::open_in_with(
        Arc::new(fs.clone()),
        config().overflow(Overflow::DropOldest),
        options(policy),
        Hooks::new().evicted(move |m: Msg| sink.lock().push(m.id)),
    )
}

#[derive(Clone, Debug)]
pub(crate) enum Step {
    Push(Msg),
    PushBatch(Vec<Msg>),
    Pop,
    PopBatch(usize),
    PopDelivery,
    Ack(usize),
    AckAll,
    DropDelivery(usize),
    /// Hands a held delivery back with `nack`: nothing is written, the record stays owed.
    Nack(usize),
    Compact,
    Sync,
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `len` calls chosen by `seed`.
pub(crate) fn steps(seed: u64, len: usize) -> Vec<Step> {
    steps_after(seed, len, 0)
}

/// `len` calls chosen by `seed`, with message ids after `last_id`.
pub(crate) fn steps_after(seed: u64, len: usize, last_id: u32) -> Vec<Step> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut next_id = last_id;
    let mut message = |rng: &mut Rng| {
        next_id += 1;
        Msg {
            id: next_id,
            key: rng.below(4) as u8,
            level: rng.below(2) as u8,
            // Mostly small; some large enough that a few fill a 4 KiB segment.
            pad: if rng.below(4) == 0 {
                700 + rng.below(900) as u16
            } else {
                rng.below(60) as u16
            },
        }
    };
    (0..len)
        .map(|_| match rng.below(100) {
            0..=34 => Step::Push(message(&mut rng)),
            35..=44 => {
                let n = 1 + rng.below(4) as usize;
                Step::PushBatch((0..n).map(|_| message(&mut rng)).collect())
            }
            45..=56 => Step::Pop,
            57..=61 => Step::PopBatch(1 + rng.below(4) as usize),
            62..=76 => Step::PopDelivery,
            77..=85 => Step::Ack(rng.below(8) as usize),
            86..=87 => Step::AckAll,
            88..=92 => Step::DropDelivery(rng.below(8) as usize),
            93..=95 => Step::Compact,
            // A priority outside the levels: the record is written, then the lane refuses
            // it, and the record must be withdrawn.
            96 => {
                let mut m = message(&mut rng);
                m.level = 5;
                Step::Push(m)
            }
            _ => Step::Sync,
        })
        .collect()
}

/// What the calls that returned promise about each message.
#[derive(Default, Debug)]
pub(crate) struct Model {
    /// Messages whose records are durable and that must come back unless acknowledged.
    durable: BTreeSet<u32>,
    /// Messages pushed (`Ok`) whose records are not yet known durable (policy `None`).
    pushed: BTreeSet<u32>,
    /// Messages refused as `Full` or `Closed`: they must never come back.
    refused: BTreeSet<u32>,
    /// Messages whose acknowledgement is durable: they must never come back.
    acked: BTreeSet<u32>,
    /// Acknowledged in memory, not yet known durable, per partition.
    acking: BTreeMap<usize, BTreeSet<u32>>,
    /// Messages whose call was cut short (crash or fault): anything may be true of them,
    /// but they come back at most once and in their place.
    unknown: BTreeSet<u32>,
    /// Each message's lane.
    lane: BTreeMap<u32, (usize, u8)>,
    pub(crate) steps_run: usize,
    /// What a `DropOldest` queue's hook reports evicted: each is acknowledged as a pop is.
    pub(crate) evicted: Option<Evicted>,
    evicted_total: usize,
}

impl Model {
    /// The process was killed: acknowledgements still in its memory are gone, so their
    /// messages may come back.
    pub(crate) fn killed(mut self) -> Self {
        let acking = std::mem::take(&mut self.acking);
        self.unknown.extend(acking.into_values().flatten());
        self
    }

    /// The model of a queue whose eviction hook records in `evicted`.
    pub(crate) fn evicting(evicted: Evicted) -> Self {
        Self {
            evicted: Some(evicted),
            ..Self::default()
        }
    }

    /// How many messages the queue has evicted so far (read before the check, which
    /// consumes nothing).
    pub(crate) fn evictions(&self) -> usize {
        self.evicted_total
    }

    /// The largest message id the model knows.
    pub(crate) fn last_id(&self) -> u32 {
        self.lane.keys().next_back().copied().unwrap_or(0)
    }
}

impl Model {
    fn pushed_ok(&mut self, id: u32, policy: SyncPolicy) {
        if policy == SyncPolicy::EveryWrite {
            self.durable.insert(id);
        } else {
            self.pushed.insert(id);
        }
    }

    /// A commit of `partition`'s log succeeded (`None`: every partition's, as `sync` does;
    /// `all_records`: it covered every record pushed before it).
    fn committed(&mut self, partition: Option<usize>, all_records: bool) {
        let partitions: Vec<usize> = match partition {
            Some(p) => vec![p],
            None => self.acking.keys().copied().collect(),
        };
        for p in partitions {
            if let Some(ids) = self.acking.remove(&p) {
                self.acked.extend(ids);
            }
        }
        if all_records {
            let pushed = std::mem::take(&mut self.pushed);
            self.durable.extend(pushed);
        }
    }

    /// Messages the queue evicted since the last look were acknowledged, as popped ones are.
    fn take_evicted(&mut self) {
        let evicted = match &self.evicted {
            Some(evicted) => std::mem::take(&mut *evicted.lock()),
            None => return,
        };
        self.evicted_total += evicted.len();
        for id in evicted {
            self.acking(id);
        }
    }

    /// The call running when the process died: what it evicted may or may not have its
    /// acknowledgement on disk.
    fn cut_at_crash(mut self) -> Self {
        if let Some(evicted) = &self.evicted {
            let evicted = std::mem::take(&mut *evicted.lock());
            self.cut_short(evicted);
        }
        self
    }

    /// Messages evicted at `open` (recovered beyond a lane's maximum) are no longer owed.
    pub(crate) fn evicted_at_open(&mut self, ids: impl IntoIterator<Item = u32>) {
        for id in ids {
            self.durable.remove(&id);
            self.pushed.remove(&id);
            self.unknown.remove(&id);
            self.refused.insert(id);
        }
    }

    fn acking(&mut self, id: u32) {
        let partition = self.lane[&id].0;
        self.durable.remove(&id);
        self.pushed.remove(&id);
        self.acking.entry(partition).or_default().insert(id);
    }

    fn cut_short(&mut self, ids: impl IntoIterator<Item = u32>) {
        for id in ids {
            self.durable.remove(&id);
            self.pushed.remove(&id);
            for acking in self.acking.values_mut() {
                acking.remove(&id);
            }
            self.unknown.insert(id);
        }
    }

    /// Checks a recovered queue's messages (in the order it gave them) against the model.
    pub(crate) fn check(&self, recovered: &[Msg]) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        let mut last_in_lane: BTreeMap<(usize, u8), u32> = BTreeMap::new();
        for message in recovered {
            let id = message.id;
            if !seen.insert(id) {
                return Err(format!("message {id} came back twice"));
            }
            if self.refused.contains(&id) {
                return Err(format!("message {id} was refused, yet came back"));
            }
            if self.acked.contains(&id) {
                return Err(format!(
                    "message {id} was acknowledged durably, yet came back"
                ));
            }
            let Some(&lane) = self.lane.get(&id) else {
                return Err(format!("message {id} was never pushed"));
            };
            if let Some(&before) = last_in_lane.get(&lane) {
                if before > id {
                    return Err(format!(
                        "message {id} came back after {before} in lane {lane:?}: out of order"
                    ));
                }
            }
            last_in_lane.insert(lane, id);
        }
        let missing: Vec<&u32> = self.durable.difference(&seen).collect();
        if !missing.is_empty() {
            return Err(format!("durable messages lost: {missing:?}"));
        }
        Ok(())
    }
}

/// Runs `steps` on `queue`, stopping at the first call during which `fs` crashed. Returns
/// the model of what the calls that returned promise.
pub(crate) fn run<E: Engine>(
    fs: &SimFs,
    policy: SyncPolicy,
    queue: Queue<E>,
    steps: &[Step],
) -> Model {
    run_from(Model::default(), fs, policy, queue, steps)
}

/// [`run`], the model starting from what earlier calls (before a restart) promised.
pub(crate) fn run_from<E: Engine>(
    mut model: Model,
    fs: &SimFs,
    policy: SyncPolicy,
    queue: Queue<E>,
    steps: &[Step],
) -> Model {
    let mut held: Vec<Delivery<Msg>> = Vec::new();
    let lane_of = |queue: &Queue<E>, m: &Msg| {
        (
            queue.partition_of_hash(crate::engine::stable_hash(&m.key)),
            m.level,
        )
    };
    for step in steps {
        model.steps_run += 1;
        // What the last call evicted was acknowledged by it (a crash after the hook ran
        // leaves the acknowledgement unknown, as a pop's is).
        model.take_evicted();
        match step {
            Step::Push(m) => {
                model.lane.insert(m.id, lane_of(&queue, m));
                let result = queue.push(m.clone());
                if fs.crashed() {
                    model.cut_short([m.id]);
                    return model.cut_at_crash();
                }
                match result {
                    Ok(()) => {
                        model.pushed_ok(m.id, policy);
                        if policy == SyncPolicy::EveryWrite {
                            model.committed(Some(model.lane[&m.id].0), false);
                        }
                    }
                    Err(
                        PushError::Full(back)
                        | PushError::Closed(back)
                        | PushError::InvalidPriority(back),
                    ) => {
                        assert_eq!(&back, m, "a refusal hands the message back");
                        model.refused.insert(m.id);
                    }
                    Err(PushError::Persist(back, _)) => {
                        assert_eq!(&back, m, "a failed write hands the message back");
                        model.cut_short([m.id]);
                    }
                }
            }
            Step::PushBatch(batch) => {
                for m in batch {
                    model.lane.insert(m.id, lane_of(&queue, m));
                }
                let result = queue.push_batch(batch.iter().cloned());
                if fs.crashed() {
                    model.cut_short(batch.iter().map(|m| m.id));
                    return model.cut_at_crash();
                }
                let back = match result {
                    Ok(()) => Vec::new(),
                    Err(PushError::Full(back) | PushError::Closed(back)) => {
                        model.refused.extend(back.iter().map(|m| m.id));
                        back
                    }
                    Err(PushError::Persist(back, _)) => {
                        model.cut_short(back.iter().map(|m| m.id));
                        back
                    }
                    Err(PushError::InvalidPriority(_)) => panic!("levels are in range"),
                };
                let queued = batch.len() - back.len();
                assert_eq!(&batch[queued..], &back[..], "a batch hands back its tail");
                for m in &batch[..queued] {
                    model.pushed_ok(m.id, policy);
                }
                if policy == SyncPolicy::EveryWrite && queued > 0 {
                    let partitions: BTreeSet<usize> = batch[..queued]
                        .iter()
                        .map(|m| model.lane[&m.id].0)
                        .collect();
                    for p in partitions {
                        model.committed(Some(p), false);
                    }
                }
            }
            Step::Pop | Step::PopBatch(_) => {
                let taken = match step {
                    Step::Pop => queue.pop().into_iter().collect(),
                    Step::PopBatch(n) => queue.pop_batch(*n),
                    _ => unreachable!(),
                };
                for m in &taken {
                    model.acking(m.id);
                }
                if fs.crashed() {
                    return model.cut_at_crash();
                }
            }
            Step::PopDelivery => {
                if let Some(delivery) = queue.pop_delivery() {
                    held.push(delivery);
                }
                if fs.crashed() {
                    return model.cut_at_crash();
                }
            }
            Step::Ack(i) | Step::DropDelivery(i) | Step::Nack(i) => {
                if held.is_empty() {
                    continue;
                }
                let delivery = held.remove(i % held.len());
                let id = delivery.id;
                match step {
                    Step::DropDelivery(_) => {
                        drop(delivery);
                        continue;
                    }
                    Step::Nack(_) => {
                        delivery.nack();
                        continue;
                    }
                    _ => {}
                }
                let result = delivery.ack();
                if fs.crashed() {
                    model.cut_short([id]);
                    return model.cut_at_crash();
                }
                match result {
                    Ok(m) => {
                        assert_eq!(m.id, id);
                        model.acking(id);
                        if policy == SyncPolicy::EveryWrite {
                            model.committed(Some(model.lane[&id].0), false);
                        }
                    }
                    Err(failed) => {
                        assert_eq!(failed.into_message().id, id, "a failed ack hands back");
                        model.cut_short([id]);
                    }
                }
            }
            Step::AckAll => {
                let batch = std::mem::take(&mut held);
                let ids: Vec<u32> = batch.iter().map(|d| d.id).collect();
                let result = Delivery::ack_all(batch);
                if fs.crashed() {
                    model.cut_short(ids);
                    return model.cut_at_crash();
                }
                match result {
                    Ok(messages) => {
                        assert_eq!(messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
                        for &id in &ids {
                            model.acking(id);
                        }
                        if policy == SyncPolicy::EveryWrite {
                            let partitions: BTreeSet<usize> =
                                ids.iter().map(|id| model.lane[id].0).collect();
                            for p in partitions {
                                model.committed(Some(p), false);
                            }
                        }
                    }
                    Err(_) => model.cut_short(ids),
                }
            }
            Step::Compact | Step::Sync => {
                let result = match step {
                    Step::Compact => queue.compact().map(drop),
                    _ => queue.sync(),
                };
                if fs.crashed() {
                    return model.cut_at_crash();
                }
                if result.is_ok() {
                    model.committed(None, true);
                }
            }
        }
    }
    model.take_evicted();
    // Deliveries still held are dropped unacknowledged (owed), then the queue, which syncs.
    drop(held);
    drop(queue);
    if !fs.crashed() && !fs.faulted() {
        model.committed(None, true);
    }
    model
}

/// Drains a recovered queue in the order it gives its messages.
pub(crate) fn drain<E: Engine>(queue: &Queue<E>) -> Vec<Msg> {
    let mut out = Vec::new();
    while let Some(m) = queue.pop() {
        out.push(m);
    }
    out
}
