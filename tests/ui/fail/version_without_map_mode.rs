// `version` on a field of a message that is not in map mode.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Gauge {
    name: String,
    #[elastic_queue(version)]
    sampled_at: u64,
}

fn main() {}
