// A map `version` must be `Ord`: the error is on the version field's type.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(version)]
    sampled_at: f64,
}

fn main() {}
