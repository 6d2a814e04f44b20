// A variant's level given twice.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
enum Event {
    #[elastic_queue(priority = 1, priority = 2)]
    Alarm,
    Tick,
}

fn main() {}
