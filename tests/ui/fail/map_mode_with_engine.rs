// `engine = ...` in map mode: the error is on the engine.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map, engine = lock_free)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
}

fn main() {}
