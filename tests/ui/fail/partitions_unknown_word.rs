// `partitions = all`: the only word `partitions` takes is `auto`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = all)]
struct Reading {
    value: u32,
}

fn main() {}
