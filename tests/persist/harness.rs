//! A harness over the generated queues, so that one model runs against each: `Harness` is the
//! generated API the model drives, implemented for each message type's queue.

use std::fmt::Debug;
use std::path::Path;

use elasticq::{Delivery, Error, PersistStats, PushError, SyncPolicy};

use crate::common::*;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub(crate) level: usize,
    pub(crate) key: usize,
    pub(crate) len: usize,
}

pub(crate) trait Harness: Sized {
    type Msg: Clone + Debug + PartialEq;
    const LEVELS: usize = 1;
    const PARTITIONS: usize = 1;
    fn open(dir: &Path, segment_bytes: u64) -> Result<Self, Error>;
    fn make(id: u64, spec: Spec) -> Self::Msg;
    fn id(msg: &Self::Msg) -> u64;
    fn level(_msg: &Self::Msg) -> usize {
        0
    }
    fn partition(&self, _msg: &Self::Msg) -> usize {
        0
    }
    fn push(&self, msg: Self::Msg) -> Result<(), PushError<Self::Msg>>;
    fn push_batch(&self, msgs: Vec<Self::Msg>) -> Result<(), PushError<Vec<Self::Msg>>>;
    fn pop(&self) -> Option<Self::Msg>;
    fn pop_batch(&self, max: usize) -> Vec<Self::Msg>;
    fn pop_delivery(&self) -> Option<Delivery<Self::Msg>>;
    fn drain(&self) -> Vec<Self::Msg>;
    fn clear(&self);
    fn close(&self);
    fn len(&self) -> usize;
    fn compact(&self) -> u64;
    fn sync(&self);
    fn stats(&self) -> PersistStats;
    fn pop_priority(&self, _level: usize) -> Option<Self::Msg> {
        unreachable!("no priorities")
    }
    fn pop_from(&self, _partition: usize) -> Option<Self::Msg> {
        unreachable!("no partitions")
    }
    fn pop_delivery_from(&self, _partition: usize) -> Option<Delivery<Self::Msg>> {
        unreachable!("no partitions")
    }
    fn pop_delivery_batch_from(&self, _partition: usize, _max: usize) -> Vec<Delivery<Self::Msg>> {
        unreachable!("no partitions")
    }
}

macro_rules! common {
    ($queue:ident, $msg:ty) => {
        type Msg = $msg;
        fn open(dir: &Path, segment_bytes: u64) -> Result<Self, Error> {
            $queue::builder()
                .dir(dir)
                .sync(SyncPolicy::None)
                .segment_bytes(segment_bytes)
                .build()
                .map(Self)
        }
        fn id(msg: &$msg) -> u64 {
            msg.id
        }
        fn push(&self, msg: $msg) -> Result<(), PushError<$msg>> {
            self.0.push(msg)
        }
        fn push_batch(&self, msgs: Vec<$msg>) -> Result<(), PushError<Vec<$msg>>> {
            self.0.push_batch(msgs)
        }
        fn pop(&self) -> Option<$msg> {
            self.0.pop()
        }
        fn pop_batch(&self, max: usize) -> Vec<$msg> {
            self.0.pop_batch(max)
        }
        fn pop_delivery(&self) -> Option<Delivery<$msg>> {
            self.0.pop_delivery()
        }
        fn drain(&self) -> Vec<$msg> {
            self.0.drain()
        }
        fn clear(&self) {
            self.0.clear()
        }
        fn close(&self) {
            self.0.close()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn compact(&self) -> u64 {
            self.0.compact().unwrap()
        }
        fn sync(&self) {
            self.0.sync().unwrap()
        }
        fn stats(&self) -> PersistStats {
            self.0.persist_stats()
        }
    };
}

pub(crate) struct JobH(JobQueue);
impl Harness for JobH {
    common!(JobQueue, Job);
    fn make(id: u64, spec: Spec) -> Job {
        job(id, spec.len)
    }
}

pub(crate) struct FastH(FastQueue);
impl Harness for FastH {
    common!(FastQueue, Fast);
    fn make(id: u64, spec: Spec) -> Fast {
        Fast {
            id,
            payload: payload(id, spec.len),
        }
    }
}

pub(crate) struct TaskH(TaskQueue);
impl Harness for TaskH {
    common!(TaskQueue, Task);
    const LEVELS: usize = 3;
    fn make(id: u64, spec: Spec) -> Task {
        Task {
            level: LEVELS[spec.level % 3],
            id,
            payload: payload(id, spec.len),
        }
    }
    fn level(msg: &Task) -> usize {
        msg.level as usize
    }
    fn pop_priority(&self, level: usize) -> Option<Task> {
        self.0.pop_priority(LEVELS[level])
    }
}

pub(crate) struct UrgentH(UrgentQueue);
impl Harness for UrgentH {
    common!(UrgentQueue, Urgent);
    const LEVELS: usize = 3;
    fn make(id: u64, spec: Spec) -> Urgent {
        Urgent {
            urgency: (spec.level % 3) as u8,
            id,
            payload: payload(id, spec.len),
        }
    }
    fn level(msg: &Urgent) -> usize {
        usize::from(msg.urgency)
    }
    fn pop_priority(&self, level: usize) -> Option<Urgent> {
        self.0.pop_priority(level as u8)
    }
}

pub(crate) struct EventH(EventQueue);
impl Harness for EventH {
    common!(EventQueue, Event);
    const LEVELS: usize = 3;
    const PARTITIONS: usize = 4;
    fn make(id: u64, spec: Spec) -> Event {
        Event {
            level: LEVELS[spec.level % 3],
            client: format!("client-{}", spec.key),
            id,
            payload: payload(id, spec.len),
        }
    }
    fn level(msg: &Event) -> usize {
        msg.level as usize
    }
    fn partition(&self, msg: &Event) -> usize {
        self.0.partition_of(msg.client.as_str())
    }
    fn pop_priority(&self, level: usize) -> Option<Event> {
        self.0.pop_priority(LEVELS[level])
    }
    fn pop_from(&self, partition: usize) -> Option<Event> {
        self.0.pop_from(partition)
    }
    fn pop_delivery_from(&self, partition: usize) -> Option<Delivery<Event>> {
        self.0.pop_delivery_from(partition)
    }
    fn pop_delivery_batch_from(&self, partition: usize, max: usize) -> Vec<Delivery<Event>> {
        self.0.pop_delivery_batch_from(partition, max)
    }
}
