// `partition_key = self` on a map-mode type, which partitions by `key`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue, Hash)]
#[elastic_queue(mode = map, partition_key = self)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
}

fn main() {}
