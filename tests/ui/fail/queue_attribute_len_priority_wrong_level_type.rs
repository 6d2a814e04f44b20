// `len_priority` named with `usize` when the message's levels are a `Priority` enum.
use elasticq::{ElasticQueue, Priority};

#[derive(Priority, Clone, Copy)]
enum QoS {
    Low,
    High,
}

#[derive(ElasticQueue)]
struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
}

#[elasticq::queue(message = Publish)]
struct AuditQueue;

fn main() {
    let audit = AuditQueue::new().unwrap();
    let _ = audit.len_priority(1usize);
}
