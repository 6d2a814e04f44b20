//! `partitions = auto`: one partition per available core (at least 1, at most
//! elasticq::MAX_PARTITIONS), on the derive and on `#[elasticq::queue]`.

use elasticq::{ElasticQueue, MAX_PARTITIONS};

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(partitions = auto)]
struct Reading {
    #[elastic_queue(partition_key)]
    sensor: u32,
}

#[elasticq::queue(message = Reading, partitions = auto, engine = lock_free)]
struct ReadingLog;

fn main() {
    let cores = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_PARTITIONS);
    let readings = ReadingQueue::new().unwrap();
    assert_eq!(readings.partitions(), cores);
    for sensor in 0..32 {
        readings.push(Reading { sensor }).unwrap();
    }
    let home = readings.partition_of(&3u32);
    let batch = readings.pop_batch_from(home, 32);
    assert!(batch.contains(&Reading { sensor: 3 }));
    assert_eq!(batch.len() + readings.drain().len(), 32);

    let log = ReadingLog::new().unwrap();
    assert_eq!(log.partitions(), cores);
    assert_eq!(
        log.partition_of(&3u32),
        home,
        "same key, same count: same partition"
    );
}
