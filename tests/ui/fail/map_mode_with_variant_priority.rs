// A variant level in a map-mode enum: the error is on the level.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
enum Gauge {
    #[elastic_queue(priority = 1)]
    Alarm,
    Normal,
}

fn main() {}
