//! `#[elasticq::queue(message = Publish, engine = locked, partitions = 2)]`: another queue
//! for a message with a priority and a partition key offers `pop_priority` (levels named by
//! the field's type) and `partition_of` (any form the key borrows as).

use elasticq::{ElasticQueue, Priority};

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, partitions = 4, fair(max_consecutive = 5))]
pub struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
}

#[elasticq::queue(message = Publish, engine = locked, partitions = 2)]
pub struct AuditQueue;

#[elasticq::queue(message = Publish, partitions = auto, fair(max_consecutive = 1))]
pub struct FairAuditQueue;

fn publish(qos: QoS, client_id: &str) -> Publish {
    Publish {
        qos,
        client_id: client_id.to_owned(),
    }
}

fn main() {
    let audit = AuditQueue::new().unwrap();
    assert_eq!(audit.partitions(), 2);
    let partition = audit.partition_of("client");
    assert!(partition < 2);
    assert_eq!(audit.partition_of(&"client".to_owned()), partition);

    audit.push(publish(QoS::AtMostOnce, "client")).unwrap();
    audit.push(publish(QoS::ExactlyOnce, "client")).unwrap();
    audit.push(publish(QoS::AtLeastOnce, "client")).unwrap();
    assert_eq!(audit.len_partition(partition), 3);
    assert_eq!(audit.len_priority(QoS::ExactlyOnce), 1);
    assert_eq!(
        audit.pop_priority(QoS::AtLeastOnce),
        Some(publish(QoS::AtLeastOnce, "client"))
    );
    assert_eq!(audit.pop(), Some(publish(QoS::ExactlyOnce, "client")));
    assert_eq!(audit.pop(), Some(publish(QoS::AtMostOnce, "client")));

    let fair = FairAuditQueue::new().unwrap();
    assert!(fair.partitions() >= 1);
    fair.push(publish(QoS::ExactlyOnce, "a")).unwrap();
    assert_eq!(
        fair.pop_priority(QoS::ExactlyOnce),
        Some(publish(QoS::ExactlyOnce, "a"))
    );
}
