// `fair` on a message that has no priority.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(fair(max_consecutive = 4))]
struct Reading {
    value: u32,
}

fn main() {}
