// A map key must be `Hash + Eq + Clone`: the error points at the key's type.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: f64,
}

fn main() {}
