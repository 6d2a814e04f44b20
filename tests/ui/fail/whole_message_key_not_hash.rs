// `partition_key = self` routes by the whole message, which must then be `Hash`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partition_key = self, partitions = 2)]
struct Reading {
    value: f64,
}

fn main() {}
