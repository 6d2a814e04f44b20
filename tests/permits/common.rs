//! The messages the permit tests use: one per composition that holds places (each engine
//! alone, priority levels, partitions, a labelled queue), all with a maximum of 4 per lane.

use std::time::Duration;

use elasticq::{ElasticQueue, Priority};

/// Long enough that only a lost wake-up (a waiter that never wakes) reaches it.
pub(crate) const HANG: Duration = Duration::from_secs(60);

/// Every lane's maximum.
pub(crate) const MAX: usize = 4;

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = locked, capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Locked {
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Free {
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Low,
    High,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Ranked {
    #[elastic_queue(priority)]
    pub(crate) level: Level,
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, partitions = 2, capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Keyed {
    #[elastic_queue(partition_key)]
    pub(crate) key: u32,
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(metrics = "permits_labelled", capacity(initial = 2, min = 1, max = 4))]
pub(crate) struct Labelled {
    pub(crate) seq: u32,
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
