//! DESIGN.md's `Publish`: a `Priority` enum, the lock-free engine, 4 partitions, fair pops,
//! `metrics`, and priority + partition-key fields (without `persist`, which needs a
//! directory; `tests/ui/pass/persisted_queues.rs` covers it).

use elasticq::{ElasticQueue, Priority, PushError};

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    engine = lock_free,
    capacity(initial = 1024, min = 256, max = 1_048_576),
    growth_factor = 2.0,
    shrink_threshold = 0.25,
    partitions = 4,
    fair(max_consecutive = 5),
    metrics = "mqtt_publish",
)]
pub struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
    topic: String,
    payload: Vec<u8>,
}

fn publish(qos: QoS, client_id: &str, topic: &str) -> Publish {
    Publish {
        qos,
        client_id: client_id.to_owned(),
        topic: topic.to_owned(),
        payload: topic.as_bytes().to_vec(),
    }
}

fn main() {
    assert_eq!(<QoS as Priority>::LEVELS, 3);
    assert_eq!(QoS::ExactlyOnce.level(), 2);
    assert_eq!(QoS::from_level(1), Some(QoS::AtLeastOnce));
    assert_eq!(QoS::from_level(3), None);

    let queue = PublishQueue::new().unwrap();
    assert_eq!(queue.partitions(), 4);
    assert_eq!(queue.config().get_max_capacity(), 1_048_576);

    // One client: every message lands in the same partition, the one `partition_of` names.
    let partition = queue.partition_of("alice");
    assert!(partition < 4);
    assert_eq!(queue.partition_of(&"alice".to_owned()), partition);

    queue
        .push(publish(QoS::AtMostOnce, "alice", "low"))
        .unwrap();
    for i in 0..6 {
        queue
            .push(publish(QoS::ExactlyOnce, "alice", &format!("high{i}")))
            .unwrap();
    }
    queue
        .push(publish(QoS::AtLeastOnce, "alice", "mid"))
        .unwrap();
    assert_eq!(queue.len(), 8);
    assert_eq!(queue.len_partition(partition), 8);
    assert_eq!(queue.len_priority(QoS::ExactlyOnce), 6);
    assert_eq!(queue.len_priority(QoS::AtLeastOnce), 1);

    // Highest level first, FIFO within it, and at most 5 in a row while a lower level waits.
    let topics: Vec<String> = std::iter::from_fn(|| queue.pop())
        .map(|m| m.topic)
        .collect();
    assert_eq!(&topics[..5], ["high0", "high1", "high2", "high3", "high4"]);
    assert_ne!(
        topics[5], "high5",
        "fair: a lower level gets a turn after 5 pops"
    );
    assert_eq!(topics.len(), 8);
    let highs: Vec<&String> = topics.iter().filter(|t| t.starts_with("high")).collect();
    assert_eq!(
        highs,
        ["high0", "high1", "high2", "high3", "high4", "high5"]
    );
    assert!(queue.is_empty());

    // `pop_priority` takes the field's type; `pop_from` one partition.
    queue.push(publish(QoS::AtMostOnce, "bob", "b")).unwrap();
    queue.push(publish(QoS::ExactlyOnce, "bob", "x")).unwrap();
    assert_eq!(
        queue.pop_priority(QoS::AtMostOnce).map(|m| m.topic),
        Some("b".to_owned())
    );
    assert_eq!(queue.pop_priority(QoS::AtMostOnce), None);
    let bob = queue.partition_of("bob");
    assert_eq!(queue.pop_from(bob).map(|m| m.topic), Some("x".to_owned()));

    // Many clients spread over the partitions, and every message comes back once.
    for i in 0..64 {
        queue
            .push(publish(QoS::AtLeastOnce, &format!("client{i}"), "t"))
            .unwrap();
    }
    let stats = queue.stats();
    assert_eq!(stats.partitions.len(), 4);
    assert_eq!(stats.levels.len(), 3);
    assert!(stats.partitions.iter().filter(|p| p.len > 0).count() > 1);
    assert_eq!(queue.drain().len(), 64);

    queue.close();
    assert!(matches!(
        queue.push(publish(QoS::AtMostOnce, "c", "t")),
        Err(PushError::Closed(_))
    ));
}
