// `pop_priority` on an `#[elasticq::queue]` queue of a message with no priority: error at the call.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading)]
struct ReadingLog;

fn main() {
    let log = ReadingLog::new().unwrap();
    let _ = log.pop_priority(0usize);
}
