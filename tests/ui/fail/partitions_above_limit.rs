// More partitions than elasticq::MAX_PARTITIONS.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = 1_000_000_000)]
struct Reading {
    value: u32,
}

fn main() {}
