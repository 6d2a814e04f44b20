// `fair` on `#[elasticq::queue]` needs a message with priority levels.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, fair(max_consecutive = 3))]
struct FairReadings;

fn main() {}
