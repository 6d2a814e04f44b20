// Two `version` fields in map mode: the error is on the second mark.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(version)]
    sampled_at: u64,
    #[elastic_queue(version)]
    sequence: u64,
}

fn main() {}
