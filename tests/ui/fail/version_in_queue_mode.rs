// `mode = queue` written out: `key` and `version` still need map mode.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = queue)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(version)]
    sampled_at: u64,
}

fn main() {}
