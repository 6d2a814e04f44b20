// A map key must be `Hash + Eq + Clone`: a key type that is only `Hash + Eq`.
use elasticq::ElasticQueue;

#[derive(Hash, PartialEq, Eq)]
struct Name(String);

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: Name,
}

fn main() {}
