//! Generic messages with a priority, a partition key and map mode: the trait impls the
//! derive writes carry the message's generics and bounds.
use std::fmt::Debug;
use std::hash::Hash;

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Debug)]
#[elastic_queue(partitions = 2, fair(max_consecutive = 3))]
struct Envelope<K: Hash + Send, T>
where
    T: Debug + Send,
{
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
    #[elastic_queue(partition_key)]
    route: K,
    body: T,
}

#[derive(ElasticQueue, Clone, Debug)]
#[elastic_queue(mode = map)]
struct Latest<K: Hash + Eq + Clone, V: Clone> {
    #[elastic_queue(key)]
    key: K,
    value: V,
}

fn main() {
    let queue = EnvelopeQueue::<String, Vec<u8>>::new().unwrap();
    queue
        .push(Envelope {
            urgency: 1,
            route: "a".to_owned(),
            body: vec![1],
        })
        .unwrap();
    assert_eq!(queue.len_priority(1), 1);
    assert!(queue.partition_of("a") < 2);
    assert_eq!(queue.pop().map(|e| e.body), Some(vec![1]));

    let latest = LatestQueue::<u32, &str>::new().unwrap();
    latest.put(Latest { key: 1, value: "x" }).unwrap();
    latest.put(Latest { key: 1, value: "y" }).unwrap();
    assert_eq!(latest.get(&1).map(|l| l.value), Some("y"));
}
