// A queue declared elsewhere persists a message only if the message has an encoding.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    sensor: u32,
}

#[elasticq::queue(message = Reading, persist(sync = every_write))]
struct DurableReadings;

fn main() {}
