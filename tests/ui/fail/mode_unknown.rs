// `mode = hash`: the modes are `queue` and `map`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = hashmap)]
struct Gauge {
    name: String,
}

fn main() {}
