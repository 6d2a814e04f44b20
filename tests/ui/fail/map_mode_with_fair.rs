// `fair(...)` in map mode.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map, fair(max_consecutive = 2))]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
}

fn main() {}
