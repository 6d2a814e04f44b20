// `fair(...)` takes `max_consecutive` only.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(fair(max_consecutiv = 4))]
struct Job {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
