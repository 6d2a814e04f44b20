// `partition_key = "route"`: a function is named by its path, not a string.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partition_key = "Self::route")]
struct Reading {
    sensor: u32,
}

fn main() {}
