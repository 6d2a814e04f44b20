// `mode = map` with no `key` field: the error is on `map`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    name: String,
    value: f64,
}

fn main() {}
