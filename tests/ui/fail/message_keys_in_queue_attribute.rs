// `mode` and `partition_key` belong on the message, which all its queues share.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, mode = map, partition_key = self)]
struct ReadingLog;

fn main() {}
