// `priority(levels = N)` is for integer fields.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = 3))]
    urgency: f32,
}

fn main() {}
