// `partitions` with no value.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions)]
struct Reading {
    value: u32,
}

fn main() {}
