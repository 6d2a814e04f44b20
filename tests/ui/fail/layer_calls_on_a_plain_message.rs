// A queue declared elsewhere offers `pop_priority` and `partition_of`, callable only when the
// message has a priority and a partition key: the error is at the call.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, partitions = 2)]
struct ReadingLog;

fn main() {
    let log = ReadingLog::new().unwrap();
    let _ = log.pop_priority(1usize);
    let _ = log.partition_of(&7u32);
}
