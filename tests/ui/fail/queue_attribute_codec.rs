use elasticq::ElasticQueue;

#[derive(ElasticQueue, elasticq::Codec)]
struct Reading {
    sensor: u32,
}

#[elasticq::queue(message = Reading, persist, codec = serde)]
struct DurableReadings;

fn main() {}
