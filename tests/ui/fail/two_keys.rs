// A map-mode message has one key.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(key)]
    host: String,
}

fn main() {}
