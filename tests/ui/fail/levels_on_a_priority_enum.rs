// `priority(levels = N)` on a `Priority` enum: the enum already has its levels.
use elasticq::{ElasticQueue, Priority};

#[derive(Priority, Clone, Copy)]
enum QoS {
    Low,
    High,
}

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = 2))]
    qos: QoS,
}

fn main() {}
