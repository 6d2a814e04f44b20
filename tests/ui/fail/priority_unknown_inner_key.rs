// `priority(...)` takes `levels` only.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(level = 3))]
    urgency: u8,
}

fn main() {}
