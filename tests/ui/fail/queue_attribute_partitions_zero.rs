// `partitions = 0` in `#[elasticq::queue(...)]`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, partitions = 0)]
struct ReadingLog;

fn main() {}
