// `levels` above the runtime's limit of 65 536 levels.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = 65_537))]
    urgency: u32,
}

fn main() {}
