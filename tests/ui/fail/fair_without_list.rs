// Bare `fair` says nothing about the run length.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(fair)]
struct Job {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
