// `partition_of` on an `#[elasticq::queue]` queue of a message routed by `Self::route`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partition_key = Self::route)]
struct Reading {
    sensor: u32,
}

impl Reading {
    fn route(&self) -> u32 {
        self.sensor
    }
}

#[elasticq::queue(message = Reading, partitions = 2)]
struct ReadingLog;

fn main() {
    let log = ReadingLog::new().unwrap();
    let _ = log.partition_of(&7u32);
}
