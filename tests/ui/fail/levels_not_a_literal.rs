// `levels` takes an integer literal, not a string.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = "3"))]
    urgency: u8,
}

fn main() {}
