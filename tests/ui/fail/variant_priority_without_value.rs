// A variant's `priority` needs its level: `priority = N`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
enum Event {
    #[elastic_queue(priority)]
    Alarm,
    Tick,
}

fn main() {}
