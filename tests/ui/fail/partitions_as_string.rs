// `partitions = "4"`: a count is written as a literal number.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = "4")]
struct Reading {
    value: u32,
}

fn main() {}
