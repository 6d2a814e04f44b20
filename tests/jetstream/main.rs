//! JetStream queues against a real `nats-server -js` (see `server.rs`), split by behaviour.

mod server;

mod conflicts;
mod crash;
mod delivery;
mod durability;
mod map;
mod metrics;
mod order;
mod outbox;
mod processor;
mod side_by_side;

use elasticq::{ElasticQueue, Priority};

/// A message with a partition key and priority levels, on JetStream.
#[derive(ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(partitions = 3, jetstream(stream = "EVENTS", subject = "events"))]
struct Event {
    #[elastic_queue(partition_key)]
    source: u32,
    #[elastic_queue(priority)]
    urgency: Urgency,
    seq: u64,
}

#[derive(Priority, Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Urgency {
    Low,
    High,
}

/// A plain message: one partition, one level.
#[derive(ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(jetstream(stream = "JOBS", subject = "jobs"))]
struct Job {
    id: u64,
    body: String,
}
