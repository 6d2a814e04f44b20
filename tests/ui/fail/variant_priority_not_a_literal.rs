// A variant's `priority = N` takes an integer literal.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
enum Event {
    #[elastic_queue(priority = "high")]
    Alarm,
    Tick,
}

fn main() {}
