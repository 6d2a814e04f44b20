// `key` and `version` mark fields of a map-mode message only.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(version)]
    sampled_at: u64,
}

fn main() {}
