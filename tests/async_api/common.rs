//! What the async tests share: the message types (a job on each engine, a keyed job with a
//! partition key and a priority, a gauge in map mode, a persisted job), `HANG`, the tokio
//! runtime they run on, and a waker that counts its wake-ups.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Duration;

use elasticq::{ElasticQueue, Priority};

/// Long enough that only a lost wake-up (a waiter that never wakes) reaches it.
pub(crate) const HANG: Duration = Duration::from_secs(60);

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Job {
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct FreeJob {
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Low,
    High,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 3, capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Keyed {
    #[elastic_queue(partition_key)]
    pub(crate) producer: u32,
    pub(crate) seq: u32,
    #[elastic_queue(priority)]
    pub(crate) level: Level,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
pub(crate) struct Gauge {
    #[elastic_queue(key)]
    pub(crate) name: u32,
    pub(crate) value: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none), capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Stored {
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Counts how often a task is woken.
#[derive(Default)]
pub(crate) struct CountingWaker(pub(crate) AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub(crate) fn counting() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    (Arc::clone(&counter), Waker::from(counter))
}

/// Every `(producer, seq)` of `producers` producers of `each` messages, sorted: what a run
/// that loses and duplicates nothing delivers.
pub(crate) fn every_message(producers: u32, each: u32) -> Vec<(u32, u32)> {
    (0..producers)
        .flat_map(|producer| (0..each).map(move |seq| (producer, seq)))
        .collect()
}

/// What each task returned, in order, failing the test on a panic or a hang.
pub(crate) async fn joined<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(tokio::time::timeout(HANG, task).await.unwrap().unwrap());
    }
    results
}
