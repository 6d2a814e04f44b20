// `priority` on a field inside an enum variant: levels go on the variant.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
enum Event {
    Alarm {
        #[elastic_queue(priority(levels = 2))]
        urgency: u8,
    },
    Tick,
}

fn main() {}
