// `partition_of` on an `#[elasticq::queue(partitions = 2)]` queue of a message with no key.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, partitions = 2)]
struct ReadingLog;

fn main() {
    let log = ReadingLog::new().unwrap();
    let _ = log.partition_of("sensor");
}
