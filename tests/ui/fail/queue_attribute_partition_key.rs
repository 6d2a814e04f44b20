// `partition_key` in `#[elasticq::queue(...)]`: it belongs on the message.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, partitions = 2, partition_key = self)]
struct ReadingLog;

fn main() {}
