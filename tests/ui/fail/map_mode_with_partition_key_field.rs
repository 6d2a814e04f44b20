// A `partition_key` field in map mode, which partitions by `key`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(partition_key)]
    host: String,
}

fn main() {}
