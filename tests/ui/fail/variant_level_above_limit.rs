// A variant's level at or above the runtime's limit of 65 536 levels.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
enum Event {
    #[elastic_queue(priority = 65_536)]
    Alarm,
    Tick,
}

fn main() {}
