// `key = ...` on a field: the mark takes no value.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key = name)]
    name: String,
}

fn main() {}
