// `key` on a field of a message that is not in map mode.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
}

fn main() {}
