// `mode` in `#[elasticq::queue(...)]`: it belongs on the message.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, mode = map)]
struct ReadingLog;

fn main() {}
