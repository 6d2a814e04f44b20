// A priority field in map mode: the error is on the `priority` mark.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
