// `partitions = -1` is not a count.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = -1)]
struct Reading {
    value: u32,
}

fn main() {}
