//! `Delivery::nack` and `nack_after`: a message handed back goes to the front of its lane at
//! once (a proptest against a `VecDeque` per lane, with priorities and partitions), it is
//! owed once after a reopen or an abort, it wakes waiting consumers, a delayed one comes
//! back, and `stats()` keeps `enqueued + redelivered = dequeued + len`.

use std::collections::VecDeque;
use std::time::Duration;

use elasticq::{Delivery, ElasticQueue, PopError, SyncPolicy};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::common::*;

/// Long enough never to be reached by a test that passes.
const HANG: Duration = Duration::from_secs(60);

fn event(id: u64, key: usize, level: usize) -> Event {
    Event {
        level: LEVELS[level % 3],
        client: format!("client-{key}"),
        id,
        payload: payload(id, 8),
    }
}

fn level_of(event: &Event) -> usize {
    LEVELS.iter().position(|l| *l == event.level).unwrap()
}

fn open_events(dir: &std::path::Path) -> EventQueue {
    EventQueue::builder()
        .dir(dir)
        .sync(SyncPolicy::None)
        .segment_bytes(64 * 1024)
        .build()
        .unwrap()
}

/// The queue as lanes: per partition, per level, the ids in the order they are owed.
struct Model {
    lanes: Vec<[VecDeque<u64>; 3]>,
}

impl Model {
    fn new(partitions: usize) -> Self {
        Model {
            lanes: (0..partitions).map(|_| Default::default()).collect(),
        }
    }

    fn len(&self) -> usize {
        self.lanes.iter().flatten().map(VecDeque::len).sum()
    }

    /// Puts `id` back among the lane's messages in id (so push) order: its place.
    fn put_back(&mut self, partition: usize, level: usize, id: u64) {
        let lane = &mut self.lanes[partition][level];
        let at = lane.partition_point(|queued| *queued < id);
        lane.insert(at, id);
    }

    /// What a pop of `partition` must return: the front of its highest non-empty level.
    fn pop_from(&mut self, partition: usize) -> Option<u64> {
        self.lanes[partition]
            .iter_mut()
            .rev()
            .find_map(VecDeque::pop_front)
    }

    /// Checks a pop of any partition: the front of a lane of the highest level non-empty in
    /// any partition.
    fn take_any(&mut self, taken: Option<(usize, usize, u64)>) {
        let top = (0..3)
            .rev()
            .find(|&level| self.lanes.iter().any(|lanes| !lanes[level].is_empty()));
        match (top, taken) {
            (None, None) => {}
            (Some(top), Some((partition, level, id))) => {
                assert_eq!(level, top, "a pop takes the highest level first");
                assert_eq!(
                    self.lanes[partition][level].pop_front(),
                    Some(id),
                    "a pop takes the front of a lane"
                );
            }
            (top, taken) => panic!("model has level {top:?}, the queue gave {taken:?}"),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Push {
        key: usize,
        level: usize,
    },
    PushBatch(Vec<(usize, usize)>),
    Pop,
    PopDelivery,
    PopDeliveryFrom(usize),
    PopDeliveryBatchFrom(usize, usize),
    Ack(Index),
    AckAll,
    Nack(Index),
    /// Hands back every held delivery, newest first.
    NackAllReversed,
    /// Dropped: not handed back; owed again at the next reopen.
    Drop(Index),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..8usize, 0..3usize).prop_map(|(key, level)| Op::Push { key, level }),
        1 => prop::collection::vec((0..8usize, 0..3usize), 0..5).prop_map(Op::PushBatch),
        2 => Just(Op::Pop),
        4 => Just(Op::PopDelivery),
        3 => (0..4usize).prop_map(Op::PopDeliveryFrom),
        2 => (0..4usize, 0..4usize).prop_map(|(p, n)| Op::PopDeliveryBatchFrom(p, n)),
        2 => any::<Index>().prop_map(Op::Ack),
        1 => Just(Op::AckAll),
        5 => any::<Index>().prop_map(Op::Nack),
        1 => Just(Op::NackAllReversed),
        1 => any::<Index>().prop_map(Op::Drop),
        1 => Just(Op::Reopen),
    ]
}

struct Run {
    dir: tempfile::TempDir,
    queue: Option<EventQueue>,
    model: Model,
    /// Deliveries held, with their lanes.
    held: Vec<(usize, usize, Delivery<Event>)>,
    /// Dropped deliveries' lanes and ids: owed again after a reopen.
    dropped: Vec<(usize, usize, u64)>,
    next: u64,
}

impl Run {
    fn queue(&self) -> &EventQueue {
        self.queue.as_ref().unwrap()
    }

    fn push(&mut self, key: usize, level: usize) -> Event {
        let id = self.next;
        self.next += 1;
        let partition = self.queue().partition_of(format!("client-{key}").as_str());
        self.model.lanes[partition][level].push_back(id);
        event(id, key, level)
    }

    fn hold(&mut self, delivery: Delivery<Event>) {
        let level = level_of(&delivery);
        self.held.push((delivery.partition(), level, delivery));
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Push { key, level } => {
                let event = self.push(key, level);
                self.queue().push(event).unwrap();
            }
            Op::PushBatch(specs) => {
                let batch: Vec<Event> = specs.into_iter().map(|(k, l)| self.push(k, l)).collect();
                self.queue().push_batch(batch).unwrap();
            }
            Op::Pop => {
                let popped = self.queue().pop();
                let taken = popped.map(|event| {
                    let partition = self.queue().partition_of(event.client.as_str());
                    (partition, level_of(&event), event.id)
                });
                self.model.take_any(taken);
            }
            Op::PopDelivery => {
                let delivery = self.queue().pop_delivery();
                let taken = delivery
                    .as_ref()
                    .map(|d| (d.partition(), level_of(d), d.id));
                self.model.take_any(taken);
                if let Some(delivery) = delivery {
                    self.hold(delivery);
                }
            }
            Op::PopDeliveryFrom(partition) => {
                let delivery = self.queue().pop_delivery_from(partition);
                assert_eq!(
                    delivery.as_ref().map(|d| d.id),
                    self.model.pop_from(partition)
                );
                if let Some(delivery) = delivery {
                    self.hold(delivery);
                }
            }
            Op::PopDeliveryBatchFrom(partition, max) => {
                let batch = self.queue().pop_delivery_batch_from(partition, max);
                let expected: Vec<u64> = (0..max)
                    .map_while(|_| self.model.pop_from(partition))
                    .collect();
                assert_eq!(batch.iter().map(|d| d.id).collect::<Vec<_>>(), expected);
                for delivery in batch {
                    self.hold(delivery);
                }
            }
            Op::Ack(index) if !self.held.is_empty() => {
                let (_, _, delivery) = self.held.remove(index.index(self.held.len()));
                delivery.ack().unwrap();
            }
            Op::AckAll => {
                let batch = self.held.drain(..).map(|(_, _, d)| d).collect();
                Delivery::ack_all(batch).unwrap();
            }
            Op::Nack(index) if !self.held.is_empty() => {
                let (partition, level, delivery) = self.held.remove(index.index(self.held.len()));
                self.model.put_back(partition, level, delivery.id);
                delivery.nack();
            }
            Op::NackAllReversed => {
                while let Some((partition, level, delivery)) = self.held.pop() {
                    self.model.put_back(partition, level, delivery.id);
                    delivery.nack();
                }
            }
            Op::Drop(index) if !self.held.is_empty() => {
                let (partition, level, delivery) = self.held.remove(index.index(self.held.len()));
                self.dropped.push((partition, level, delivery.id));
            }
            Op::Reopen => {
                // Held and dropped deliveries are owed again, each once, in their lanes.
                for (partition, level, delivery) in self.held.drain(..) {
                    self.dropped.push((partition, level, delivery.id));
                }
                for (partition, level, id) in self.dropped.drain(..) {
                    self.model.put_back(partition, level, id);
                }
                self.queue = None;
                self.queue = Some(open_events(self.dir.path()));
            }
            Op::Ack(_) | Op::Nack(_) | Op::Drop(_) => {}
        }
    }

    fn check(&self) {
        let queue = self.queue();
        assert_eq!(queue.len(), self.model.len(), "len");
        for partition in 0..queue.partitions() {
            let owed: usize = self.model.lanes[partition].iter().map(VecDeque::len).sum();
            assert_eq!(queue.len_partition(partition), owed, "len of {partition}");
        }
        let stats = queue.stats();
        assert_eq!(stats.len, self.model.len(), "stats().len");
        assert_eq!(
            stats.enqueued + stats.redelivered,
            stats.dequeued + stats.len as u64,
            "enqueued + redelivered = dequeued + len: {stats:?}"
        );
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(64),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn nacked_messages_go_back_to_the_front_of_their_lanes(ops in prop::collection::vec(op(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let queue = open_events(dir.path());
        let model = Model::new(queue.partitions());
        let mut run = Run { dir, queue: Some(queue), model, held: Vec::new(), dropped: Vec::new(), next: 0 };
        for op in ops {
            run.apply(op);
            run.check();
        }
        // Whatever is left comes back once, in lane order, after a last reopen.
        run.apply(Op::Reopen);
        run.check();
        for partition in 0..run.queue().partitions() {
            loop {
                let found = run.queue().pop_from(partition).map(|event| event.id);
                prop_assert_eq!(found, run.model.pop_from(partition));
                if found.is_none() {
                    break;
                }
            }
        }
    }
}

#[test]
fn a_nacked_message_comes_before_newer_ones_and_counts_a_redelivery() {
    let dir = tempfile::tempdir().unwrap();
    let queue = open_jobs(dir.path()).unwrap();
    queue.push_batch((0..4).map(|id| job(id, 4))).unwrap();
    let first = queue.pop_delivery().unwrap();
    let second = queue.pop_delivery().unwrap();
    // Handed back newest first, they still come back in their order.
    second.nack();
    first.nack();
    queue.push(job(4, 4)).unwrap();
    let ids: Vec<u64> = queue.drain().into_iter().map(|job| job.id).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    let stats = queue.stats();
    assert_eq!(stats.redelivered, 2);
    assert_eq!((stats.enqueued, stats.dequeued, stats.len), (5, 7, 0));
}

#[test]
fn a_nacked_message_is_owed_once_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = open_jobs(dir.path()).unwrap();
        queue.push_batch((0..3).map(|id| job(id, 4))).unwrap();
        queue.pop_delivery().unwrap().nack();
        // Taken again and handed back again: still one record, owed once.
        queue.pop_delivery().unwrap().nack();
        let held = queue.pop_delivery().unwrap();
        assert_eq!(held.id, 0);
        held.nack();
    }
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!(queue.persist_stats().recovered, 3);
    let ids: Vec<u64> = queue.drain().into_iter().map(|job| job.id).collect();
    assert_eq!(ids, vec![0, 1, 2]);
}

/// A queue written with `every_write`, so what returned is on disk when the child aborts.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write))]
struct Order {
    id: u32,
}

const CHILD_ENV: &str = "ELASTICQ_NACK_CHILD_DIR";

#[test]
fn nack_abort_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let queue = OrderQueue::open(&dir).unwrap();
    queue.push_batch((1..=3).map(|id| Order { id })).unwrap();
    // 1 is handled; 2 is handed back twice, then taken and left out; 3 is handed back.
    queue.pop_delivery().unwrap().ack().unwrap();
    queue.pop_delivery().unwrap().nack();
    queue.pop_delivery().unwrap().nack();
    let taken = queue.pop_delivery().unwrap();
    assert_eq!(taken.id, 2);
    queue.pop_delivery().unwrap().nack();
    std::mem::forget(taken);
    // A crash: nothing is dropped, nothing more is written.
    std::process::abort();
}

#[test]
fn a_nacked_message_comes_back_exactly_once_after_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let status = run_child("nack::nack_abort_child", CHILD_ENV, dir.path());
    assert!(!status.success(), "the child aborts");
    let queue = OrderQueue::open(dir.path()).unwrap();
    let ids: Vec<u32> = queue.drain().into_iter().map(|order| order.id).collect();
    assert_eq!(ids, vec![2, 3], "each message not acknowledged, once");
}

#[test]
fn nack_wakes_a_blocked_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let queue = open_jobs(dir.path()).unwrap();
    queue.push(job(7, 4)).unwrap();
    let delivery = queue.pop_delivery().unwrap();
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| queue.pop_timeout(HANG).map(|job| job.id));
        delivery.nack();
        assert_eq!(waiting.join().unwrap(), Ok(7));
    });
}

#[cfg(feature = "tokio")]
#[test]
fn nack_wakes_an_async_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let queue = std::sync::Arc::new(open_jobs(dir.path()).unwrap());
    queue.push(job(7, 4)).unwrap();
    let delivery = queue.pop_delivery().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let found = runtime.block_on(async {
        let waiting = {
            let queue = std::sync::Arc::clone(&queue);
            tokio::spawn(async move { queue.pop_async().await.map(|job| job.id) })
        };
        // Let the consumer register before the message comes back.
        tokio::task::yield_now().await;
        let nacking = std::thread::spawn(move || delivery.nack());
        let found = tokio::time::timeout(HANG, waiting).await;
        nacking.join().unwrap();
        found
    });
    assert_eq!(found.unwrap().unwrap(), Some(7));
}

#[test]
fn nack_after_returns_the_message_after_the_delay() {
    let dir = tempfile::tempdir().unwrap();
    let queue = open_jobs(dir.path()).unwrap();
    queue.push_batch([job(1, 4), job(2, 4)]).unwrap();
    queue
        .pop_delivery()
        .unwrap()
        .nack_after(Duration::from_millis(20));
    assert_eq!(queue.pop().map(|job| job.id), Some(2));
    assert_eq!(queue.pop_timeout(HANG).map(|job| job.id), Ok(1));
    assert_eq!(queue.stats().redelivered, 1);
}

#[test]
fn a_delayed_nack_is_owed_at_the_next_open_if_the_queue_goes_first() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = open_jobs(dir.path()).unwrap();
        queue.push(job(1, 4)).unwrap();
        queue.pop_delivery().unwrap().nack_after(HANG);
        // Dropped while the delay runs: the timer stops, the record stays in the log.
    }
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!(queue.pop_timeout(HANG).map(|job| job.id), Ok(1));
    assert_eq!(queue.pop_timeout(Duration::ZERO), Err(PopError::Timeout));
}

#[test]
fn a_dropped_delivery_waits_for_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = open_jobs(dir.path()).unwrap();
        queue.push(job(1, 4)).unwrap();
        drop(queue.pop_delivery().unwrap());
        assert!(queue.is_empty(), "dropping is not a nack");
        assert_eq!(queue.stats().redelivered, 0);
    }
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!(queue.pop().map(|job| job.id), Some(1));
}
