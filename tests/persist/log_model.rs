//! The proptest model: random pushes (some larger than a segment), pops, deliveries
//! (acknowledged, dropped, or held and acknowledged later), batches, drains, clears, closes,
//! compactions and reopens, against a model of what the log owes; run for a plain queue, a
//! lock-free one, one with `Priority` levels, one with an integer priority and one with
//! partitions and priorities.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Debug;

use elasticq::{Delivery, PushError};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::common::*;
use crate::harness::*;

/// What becomes of a delivery.
#[derive(Clone, Copy, Debug)]
enum Then {
    Ack,
    /// Dropped without an acknowledgement.
    Drop,
    IntoUnacked,
    /// Kept alive, acknowledged by a later `AckHeld` or dropped at the next reopen.
    Hold,
}

#[derive(Clone, Debug)]
enum Op {
    Push(Spec),
    PushBatch(Vec<Spec>),
    Pop,
    PopBatch(usize),
    PopDelivery(Then),
    PopPriority(usize),
    PopFrom(usize),
    PopDeliveryFrom(usize, Then),
    PopDeliveryBatchFrom(usize, usize, Then),
    AckHeld(Index),
    AckAllHeld,
    Drain,
    Clear,
    /// Closes the queue: pushes are refused (and written nowhere) until the next reopen;
    /// pops go on.
    Close,
    Compact,
    Sync,
    Reopen(u64),
}

/// Where a pop may take from.
#[derive(Clone, Copy, Debug)]
enum Scope {
    Any,
    Level(usize),
    Partition(usize),
}

/// The log's obligations and the in-memory queue's order.
struct Model<M> {
    /// Every message pushed and not acknowledged, by id (ids are given in push order).
    owed: BTreeMap<u64, M>,
    /// id -> (partition, level).
    place: HashMap<u64, (usize, usize)>,
    /// The in-memory queue: ids by partition and level, FIFO.
    queued: Vec<Vec<VecDeque<u64>>>,
}

impl<M: Clone + Debug + PartialEq> Model<M> {
    fn new(partitions: usize, levels: usize) -> Self {
        Model {
            owed: BTreeMap::new(),
            place: HashMap::new(),
            queued: vec![vec![VecDeque::new(); levels]; partitions],
        }
    }

    fn push(&mut self, id: u64, msg: M, partition: usize, level: usize) {
        self.owed.insert(id, msg);
        self.place.insert(id, (partition, level));
        self.queued[partition][level].push_back(id);
    }

    fn len(&self) -> usize {
        self.queued.iter().flatten().map(VecDeque::len).sum()
    }

    fn ack(&mut self, id: u64) -> Result<(), TestCaseError> {
        prop_assert!(self.owed.remove(&id).is_some(), "{} acknowledged twice", id);
        Ok(())
    }

    /// The in-memory queue after a reopen: everything owed, in push order, in its place.
    fn reopen(&mut self) {
        for lanes in &mut self.queued {
            for lane in lanes.iter_mut() {
                lane.clear();
            }
        }
        for id in self.owed.keys() {
            let (partition, level) = self.place[id];
            self.queued[partition][level].push_back(*id);
        }
    }

    fn top_level(&self, partition: Option<usize>) -> Option<usize> {
        let levels = self.queued[0].len();
        (0..levels).rev().find(|&level| {
            self.queued
                .iter()
                .enumerate()
                .any(|(p, lanes)| partition.is_none_or(|q| q == p) && !lanes[level].is_empty())
        })
    }

    /// Checks that `taken` is what a pop in `scope` may return, and takes it from the model.
    /// Returns its id.
    fn take(
        &mut self,
        scope: Scope,
        taken: Option<&M>,
        id_of: impl Fn(&M) -> u64,
    ) -> Result<Option<u64>, TestCaseError> {
        let level = match scope {
            Scope::Any => self.top_level(None),
            Scope::Partition(p) => self.top_level(Some(p)),
            Scope::Level(l) => self
                .queued
                .iter()
                .any(|lanes| !lanes[l].is_empty())
                .then_some(l),
        };
        let Some(level) = level else {
            prop_assert!(
                taken.is_none(),
                "{:?} popped {:?} from an empty model",
                scope,
                taken
            );
            return Ok(None);
        };
        let Some(taken) = taken else {
            prop_assert!(
                false,
                "{:?} popped nothing; the model holds {:?}",
                scope,
                self.queued
            );
            unreachable!()
        };
        let id = id_of(taken);
        let Some(&(partition, at_level)) = self.place.get(&id) else {
            prop_assert!(false, "popped {:?}, never pushed", taken);
            unreachable!()
        };
        if let Scope::Partition(p) = scope {
            prop_assert_eq!(partition, p, "{:?} popped from another partition", taken);
        }
        prop_assert_eq!(
            at_level,
            level,
            "{:?} popped {:?} ahead of a higher level",
            scope,
            taken
        );
        prop_assert_eq!(
            self.queued[partition][level].front().copied(),
            Some(id),
            "{:?} popped {:?} out of FIFO order: {:?}",
            scope,
            taken,
            self.queued
        );
        self.queued[partition][level].pop_front();
        prop_assert_eq!(Some(taken), self.owed.get(&id), "a message changed");
        Ok(Some(id))
    }
}

struct Run<H: Harness> {
    dir: tempfile::TempDir,
    queue: Option<H>,
    model: Model<H::Msg>,
    held: Vec<Delivery<H::Msg>>,
    next_id: u64,
    closed: bool,
}

impl<H: Harness> Run<H> {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let queue = H::open(dir.path(), 4096).unwrap();
        Run {
            dir,
            queue: Some(queue),
            model: Model::new(H::PARTITIONS, H::LEVELS),
            held: Vec::new(),
            next_id: 0,
            closed: false,
        }
    }

    fn q(&self) -> &H {
        self.queue.as_ref().unwrap()
    }

    fn new_message(&mut self, spec: Spec) -> H::Msg {
        let msg = H::make(self.next_id, spec);
        self.next_id += 1;
        msg
    }

    /// The model's side of a push the queue took.
    fn pushed(&mut self, msg: H::Msg) {
        let partition = self.q().partition(&msg);
        let level = H::level(&msg);
        self.model.push(H::id(&msg), msg, partition, level);
    }

    fn take(&mut self, scope: Scope, taken: Option<&H::Msg>) -> Result<Option<u64>, TestCaseError> {
        self.model.take(scope, taken, H::id)
    }

    fn deliver(&mut self, delivery: Delivery<H::Msg>, then: Then) -> Result<(), TestCaseError> {
        let id = H::id(&delivery);
        match then {
            Then::Ack => {
                let message = delivery.ack().unwrap();
                prop_assert_eq!(H::id(&message), id);
                self.model.ack(id)?;
            }
            Then::Drop => drop(delivery),
            Then::IntoUnacked => {
                let message = delivery.into_unacked();
                prop_assert_eq!(H::id(&message), id);
            }
            Then::Hold => self.held.push(delivery),
        }
        Ok(())
    }

    fn reopen(&mut self, segment_bytes: u64) -> Result<(), TestCaseError> {
        // Held deliveries keep the directory locked: they go first (unacknowledged).
        self.held.clear();
        self.queue = None;
        let queue = H::open(self.dir.path(), segment_bytes).unwrap();
        let stats = queue.stats();
        prop_assert_eq!(stats.recovered, self.model.owed.len() as u64);
        prop_assert!(
            stats.cuts.is_empty(),
            "cuts in an undamaged log: {:?}",
            stats.cuts
        );
        self.queue = Some(queue);
        self.closed = false;
        self.model.reopen();
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let partitioned = H::PARTITIONS > 1;
        let prioritized = H::LEVELS > 1;
        match op {
            Op::Push(spec) => {
                let msg = self.new_message(*spec);
                match self.q().push(msg.clone()) {
                    Ok(()) => {
                        prop_assert!(!self.closed, "a closed queue took {:?}", msg);
                        self.pushed(msg);
                    }
                    // Refused before anything is written: it is not owed.
                    Err(PushError::Closed(back)) if self.closed => prop_assert_eq!(back, msg),
                    Err(error) => prop_assert!(false, "push refused: {}", error),
                }
            }
            Op::PushBatch(specs) => {
                let msgs: Vec<H::Msg> = specs.iter().map(|spec| self.new_message(*spec)).collect();
                match self.q().push_batch(msgs.clone()) {
                    Ok(()) => {
                        prop_assert!(!self.closed, "a closed queue took a batch");
                        for msg in msgs {
                            self.pushed(msg);
                        }
                    }
                    Err(PushError::Closed(back)) if self.closed => prop_assert_eq!(back, msgs),
                    Err(error) => prop_assert!(false, "push_batch refused: {}", error),
                }
            }
            Op::Pop => {
                let taken = self.q().pop();
                if let Some(id) = self.take(Scope::Any, taken.as_ref())? {
                    self.model.ack(id)?;
                }
            }
            Op::PopBatch(max) => {
                let batch = self.q().pop_batch(*max);
                prop_assert_eq!(batch.len(), (*max).min(self.model.len()));
                for msg in &batch {
                    let id = self.take(Scope::Any, Some(msg))?.unwrap();
                    self.model.ack(id)?;
                }
            }
            Op::PopDelivery(then) => {
                let delivery = self.q().pop_delivery();
                self.take(Scope::Any, delivery.as_deref())?;
                if let Some(delivery) = delivery {
                    self.deliver(delivery, *then)?;
                }
            }
            Op::PopPriority(level) if prioritized => {
                let level = level % H::LEVELS;
                let taken = self.q().pop_priority(level);
                if let Some(id) = self.take(Scope::Level(level), taken.as_ref())? {
                    self.model.ack(id)?;
                }
            }
            Op::PopFrom(p) if partitioned => {
                let p = p % H::PARTITIONS;
                let taken = self.q().pop_from(p);
                if let Some(id) = self.take(Scope::Partition(p), taken.as_ref())? {
                    self.model.ack(id)?;
                }
            }
            Op::PopDeliveryFrom(p, then) if partitioned => {
                let p = p % H::PARTITIONS;
                let delivery = self.q().pop_delivery_from(p);
                self.take(Scope::Partition(p), delivery.as_deref())?;
                if let Some(delivery) = delivery {
                    prop_assert_eq!(delivery.partition(), p);
                    self.deliver(delivery, *then)?;
                }
            }
            Op::PopDeliveryBatchFrom(p, max, then) if partitioned => {
                let p = p % H::PARTITIONS;
                let batch = self.q().pop_delivery_batch_from(p, *max);
                let available = self.model.queued[p]
                    .iter()
                    .map(VecDeque::len)
                    .sum::<usize>();
                prop_assert_eq!(batch.len(), (*max).min(available));
                for delivery in &batch {
                    self.take(Scope::Partition(p), Some(&**delivery))?;
                }
                match then {
                    Then::Ack => {
                        let ids: Vec<u64> = batch.iter().map(|d| H::id(d)).collect();
                        let messages = Delivery::ack_all(batch).unwrap();
                        prop_assert_eq!(
                            messages.iter().map(H::id).collect::<Vec<_>>(),
                            ids.clone()
                        );
                        for id in ids {
                            self.model.ack(id)?;
                        }
                    }
                    _ => {
                        for delivery in batch {
                            self.deliver(delivery, *then)?;
                        }
                    }
                }
            }
            // Without the layer, these are plain pops.
            Op::PopPriority(_) | Op::PopFrom(_) => return self.apply(&Op::Pop),
            Op::PopDeliveryFrom(_, then) | Op::PopDeliveryBatchFrom(_, _, then) => {
                return self.apply(&Op::PopDelivery(*then))
            }
            Op::AckHeld(index) => {
                if !self.held.is_empty() {
                    let delivery = self.held.remove(index.index(self.held.len()));
                    let id = H::id(&delivery);
                    prop_assert_eq!(H::id(&delivery.ack().unwrap()), id);
                    self.model.ack(id)?;
                }
            }
            Op::AckAllHeld => {
                let held = std::mem::take(&mut self.held);
                let ids: Vec<u64> = held.iter().map(|d| H::id(d)).collect();
                Delivery::ack_all(held).unwrap();
                for id in ids {
                    self.model.ack(id)?;
                }
            }
            Op::Drain => {
                let drained = self.q().drain();
                prop_assert_eq!(drained.len(), self.model.len());
                if !partitioned {
                    for msg in &drained {
                        let id = self.take(Scope::Any, Some(msg))?.unwrap();
                        self.model.ack(id)?;
                    }
                } else {
                    // Across partitions the order is theirs; within each, it is the model's.
                    let parts: Vec<usize> = drained.iter().map(|m| self.q().partition(m)).collect();
                    for p in 0..H::PARTITIONS {
                        for (msg, _) in drained.iter().zip(&parts).filter(|(_, &q)| q == p) {
                            let id = self.take(Scope::Partition(p), Some(msg))?.unwrap();
                            self.model.ack(id)?;
                        }
                    }
                }
            }
            Op::Clear => {
                // Everything queued is taken and acknowledged; held deliveries stay owed.
                self.q().clear();
                let queued: Vec<u64> = (self.model.queued.iter_mut().flatten())
                    .flat_map(std::mem::take)
                    .collect();
                for id in queued {
                    self.model.ack(id)?;
                }
            }
            Op::Close => {
                self.q().close();
                self.closed = true;
            }
            Op::Compact => {
                self.q().compact();
            }
            Op::Sync => self.q().sync(),
            Op::Reopen(segment_bytes) => self.reopen(*segment_bytes)?,
        }
        prop_assert_eq!(self.q().len(), self.model.len(), "after {:?}", op);
        let stats = self.q().stats();
        prop_assert_eq!(stats.ack_failures, 0);
        Ok(())
    }

    /// Reopens, then takes everything, checking the order partition by partition.
    fn finish(mut self) -> Result<(), TestCaseError> {
        self.reopen(4096)?;
        for p in 0..H::PARTITIONS {
            loop {
                let taken = if H::PARTITIONS > 1 {
                    self.q().pop_from(p)
                } else {
                    self.q().pop()
                };
                match self.take(Scope::Partition(p), taken.as_ref())? {
                    Some(id) => self.model.ack(id)?,
                    None => break,
                }
            }
        }
        prop_assert!(self.model.owed.is_empty());
        prop_assert_eq!(self.q().len(), 0);
        // Everything acknowledged: nothing comes back.
        self.reopen(4096)?;
        prop_assert_eq!(self.q().len(), 0);
        Ok(())
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    // Now and then a message larger than a whole segment (4096 or 8192 bytes).
    let len = prop_oneof![8 => 0..16usize, 8 => 0..400usize, 1 => 4000..9000usize];
    (0..3usize, 0..8usize, len).prop_map(|(level, key, len)| Spec { level, key, len })
}

fn then() -> impl Strategy<Value = Then> {
    prop_oneof![
        3 => Just(Then::Ack),
        1 => Just(Then::Drop),
        1 => Just(Then::IntoUnacked),
        2 => Just(Then::Hold),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => spec().prop_map(Op::Push),
        3 => proptest::collection::vec(spec(), 0..12).prop_map(Op::PushBatch),
        5 => Just(Op::Pop),
        2 => (0..6usize).prop_map(Op::PopBatch),
        5 => then().prop_map(Op::PopDelivery),
        2 => (0..3usize).prop_map(Op::PopPriority),
        3 => (0..4usize).prop_map(Op::PopFrom),
        3 => (0..4usize, then()).prop_map(|(p, t)| Op::PopDeliveryFrom(p, t)),
        2 => (0..4usize, 0..5usize, then()).prop_map(|(p, m, t)| Op::PopDeliveryBatchFrom(p, m, t)),
        3 => any::<Index>().prop_map(Op::AckHeld),
        1 => Just(Op::AckAllHeld),
        1 => Just(Op::Drain),
        1 => Just(Op::Clear),
        1 => Just(Op::Close),
        2 => Just(Op::Compact),
        1 => Just(Op::Sync),
        3 => prop_oneof![Just(4096u64), Just(8192), Just(65536)].prop_map(Op::Reopen),
    ]
}

fn run_model<H: Harness>(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut run = Run::<H>::new();
    for op in &ops {
        run.apply(op)?;
    }
    run.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    #[test]
    fn model_plain(ops in proptest::collection::vec(op(), 1..200)) {
        run_model::<JobH>(ops)?;
    }

    #[test]
    fn model_lock_free(ops in proptest::collection::vec(op(), 1..200)) {
        run_model::<FastH>(ops)?;
    }

    #[test]
    fn model_priorities(ops in proptest::collection::vec(op(), 1..200)) {
        run_model::<TaskH>(ops)?;
    }

    #[test]
    fn model_integer_priorities(ops in proptest::collection::vec(op(), 1..200)) {
        run_model::<UrgentH>(ops)?;
    }

    #[test]
    fn model_partitions_and_priorities(ops in proptest::collection::vec(op(), 1..200)) {
        run_model::<EventH>(ops)?;
    }
}
