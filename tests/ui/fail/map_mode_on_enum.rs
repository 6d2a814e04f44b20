// `mode = map` on an enum: no field can be marked `key`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
enum Gauge {
    Temperature(String),
    Pressure(String),
}

fn main() {}
