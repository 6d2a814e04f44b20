// Two fields marked `priority`: the error is on the second mark.
use elasticq::{ElasticQueue, Priority};

#[derive(Priority)]
enum QoS {
    Low,
    High,
}

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
