//! The generated API of priorities, partitions and map mode: what `#[derive(ElasticQueue)]`
//! and `#[elasticq::queue]` give a message with a priority field, a partition key, levels
//! per variant, or `mode = map`.

use std::time::Duration;

use elasticq::{ElasticQueue, Error, PopError, Priority, PushError, Put};

// MQTT's own names for the levels.
#[allow(clippy::enum_variant_names)]
#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, partitions = 4, fair(max_consecutive = 2))]
struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
    topic: String,
}

fn publish(qos: QoS, client: &str, topic: &str) -> Publish {
    Publish {
        qos,
        client_id: client.to_owned(),
        topic: topic.to_owned(),
    }
}

#[elasticq::queue(message = Publish, engine = locked, partitions = 2)]
struct AuditQueue;

#[elasticq::queue(message = Publish)]
struct StrictPublishQueue;

#[derive(ElasticQueue, Debug, PartialEq)]
struct Job {
    #[elastic_queue(priority(levels = 3))]
    urgency: i16,
    id: u32,
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(partition_key = Self::device, partitions = 3)]
enum Event {
    #[elastic_queue(priority = 2)]
    Alarm {
        device: u32,
    },
    #[elastic_queue(priority = 1)]
    Reading(u32, f64),
    Heartbeat,
}

impl Event {
    fn device(&self) -> u32 {
        match self {
            Event::Alarm { device } | Event::Reading(device, _) => *device,
            Event::Heartbeat => 0,
        }
    }
}

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq, Hash)]
#[elastic_queue(partition_key = self, partitions = auto)]
struct Token(u64);

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(version)]
    sampled_at: u64,
    value: f64,
}

fn gauge(name: &str, sampled_at: u64, value: f64) -> Gauge {
    Gauge {
        name: name.to_owned(),
        sampled_at,
        value,
    }
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(mode = map, capacity(initial = 2, max = 2), partitions = 1)]
struct Setting {
    #[elastic_queue(key)]
    key: &'static str,
    value: u32,
}

#[test]
fn levels_are_named_by_the_priority_type() {
    let queue = PublishQueue::builder().strict().build().expect("valid");
    queue.push(publish(QoS::AtMostOnce, "a", "low")).unwrap();
    queue.push(publish(QoS::ExactlyOnce, "a", "high")).unwrap();
    queue.push(publish(QoS::AtLeastOnce, "a", "mid")).unwrap();
    assert_eq!(queue.len_priority(QoS::AtLeastOnce), 1);
    assert_eq!(queue.pop().map(|m| m.topic), Some("high".to_owned()));
    assert_eq!(
        queue.pop_priority(QoS::AtMostOnce).map(|m| m.topic),
        Some("low".to_owned())
    );
    assert_eq!(queue.pop_priority(QoS::AtMostOnce), None);
    let stats = queue.stats();
    assert_eq!(stats.levels.len(), 3);
    assert_eq!(stats.levels[2].dequeued, 1);
    assert_eq!(stats.partitions.len(), 4);
}

#[test]
fn fair_mode_declared_on_the_message_turns_to_lower_levels() {
    let queue = PublishQueue::builder()
        .partitions(1)
        .build()
        .expect("valid");
    for _ in 0..4 {
        queue.push(publish(QoS::ExactlyOnce, "a", "high")).unwrap();
    }
    queue.push(publish(QoS::AtMostOnce, "a", "low")).unwrap();
    let order: Vec<QoS> = std::iter::from_fn(|| queue.pop().map(|m| m.qos)).collect();
    use QoS::*;
    assert_eq!(
        order,
        [
            ExactlyOnce,
            ExactlyOnce,
            AtMostOnce,
            ExactlyOnce,
            ExactlyOnce
        ]
    );
}

#[test]
fn partition_of_accepts_borrowed_keys_and_routes_like_push() {
    let queue = PublishQueue::new().expect("valid");
    assert_eq!(queue.partitions(), 4);
    for client in ["sensor-1", "sensor-2", "sensor-3", "sensor-4", "sensor-5"] {
        let partition = queue.partition_of(client); // &str for a String key
        assert_eq!(partition, queue.partition_of(&client.to_owned()));
        queue.push(publish(QoS::AtLeastOnce, client, "t")).unwrap();
        assert!(queue.len_partition(partition) >= 1);
        let popped = queue.pop_from(partition).expect("routed there");
        assert_eq!(popped.client_id, client);
    }
    assert!(queue.pop_from(4).is_none(), "no such partition");
    assert!(queue.pop_batch_from(99, 10).is_empty());
    assert_eq!(queue.len_partition(99), 0);
}

#[test]
fn out_of_range_integer_priority_is_handed_back() {
    let queue = JobQueue::new().expect("valid");
    for urgency in [3, -1, i16::MAX] {
        match queue.push(Job { urgency, id: 7 }) {
            Err(PushError::InvalidPriority(job)) => assert_eq!(job.urgency, urgency),
            other => panic!("expected InvalidPriority, got {other:?}"),
        }
    }
    queue.push(Job { urgency: 0, id: 1 }).unwrap();
    queue.push(Job { urgency: 2, id: 2 }).unwrap();
    assert_eq!(queue.len_priority(2), 1);
    assert_eq!(queue.len_priority(7), 0);
    assert_eq!(queue.pop_priority(9), None);
    assert_eq!(queue.pop().map(|job| job.id), Some(2));
    assert_eq!(queue.stats().rejected, 3);
}

#[test]
fn enum_variants_carry_their_levels() {
    let queue = EventQueue::new().expect("valid");
    queue.push(Event::Heartbeat).unwrap();
    queue.push(Event::Reading(4, 0.5)).unwrap();
    queue.push(Event::Alarm { device: 4 }).unwrap();
    assert_eq!(queue.len_priority(1), 1);
    assert_eq!(queue.pop(), Some(Event::Alarm { device: 4 }));
    assert_eq!(queue.pop(), Some(Event::Reading(4, 0.5)));
    assert_eq!(queue.pop(), Some(Event::Heartbeat));
    // The key function's value routes: device 4's partition.
    queue.push(Event::Alarm { device: 4 }).unwrap();
    assert_eq!(queue.len_partition(queue.partition_of(&4u32)), 1);
}

#[test]
fn whole_message_routes_and_auto_partitions_follow_the_machine() {
    let queue = TokenQueue::new().expect("valid");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(queue.partitions(), cores);
    queue.push(Token(42)).unwrap();
    assert_eq!(
        queue.pop_from(queue.partition_of(&Token(42))),
        Some(Token(42))
    );
}

#[test]
fn queue_attribute_reads_the_message_priorities_and_key() {
    let audit = AuditQueue::new().expect("valid");
    assert_eq!(audit.partitions(), 2);
    audit.push(publish(QoS::AtMostOnce, "x", "low")).unwrap();
    audit.push(publish(QoS::ExactlyOnce, "y", "high")).unwrap();
    assert_eq!(audit.len_priority(QoS::ExactlyOnce), 1);
    assert_eq!(audit.pop().map(|m| m.qos), Some(QoS::ExactlyOnce)); // strict across partitions
    let partition = audit.partition_of("x");
    assert_eq!(
        audit.pop_from(partition).map(|m| m.topic),
        Some("low".to_owned())
    );

    // Not partitioned, strict: the message's levels still apply.
    let strict = StrictPublishQueue::new().expect("valid");
    strict.push(publish(QoS::AtLeastOnce, "x", "mid")).unwrap();
    assert_eq!(
        strict.pop_priority(QoS::AtLeastOnce).map(|m| m.topic),
        Some("mid".to_owned())
    );
}

#[test]
fn builder_overrides_are_checked() {
    let error = PublishQueue::builder().partitions(0).build().unwrap_err();
    assert!(matches!(
        error,
        Error::InvalidConfig {
            field: "partitions",
            ..
        }
    ));
    let error = PublishQueue::builder().fair(0).build().unwrap_err();
    assert!(matches!(
        error,
        Error::InvalidConfig {
            field: "max_consecutive",
            ..
        }
    ));
    let queue = PublishQueue::builder()
        .partitions(2)
        .build()
        .expect("valid");
    assert_eq!(queue.partitions(), 2);
}

#[test]
fn pop_timeout_wakes_for_a_push_into_any_partition() {
    let queue = std::sync::Arc::new(PublishQueue::new().expect("valid"));
    let producer = {
        let queue = std::sync::Arc::clone(&queue);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            queue.push(publish(QoS::AtLeastOnce, "late", "t")).unwrap();
        })
    };
    let got = queue.pop_timeout(Duration::from_secs(10)).expect("woken");
    assert_eq!(got.client_id, "late");
    producer.join().unwrap();
    queue.close();
    assert_eq!(
        queue.pop_timeout(Duration::from_millis(1)),
        Err(PopError::Closed)
    );
}

#[test]
fn map_mode_keeps_the_newest_version_per_key() {
    let gauges = GaugeQueue::new().expect("valid");
    assert_eq!(gauges.put(gauge("cpu", 10, 0.5)), Ok(Put::Inserted));
    assert_eq!(gauges.put(gauge("mem", 10, 0.7)), Ok(Put::Inserted));
    assert_eq!(
        gauges.put(gauge("cpu", 12, 0.9)),
        Ok(Put::Replaced(gauge("cpu", 10, 0.5)))
    );
    assert_eq!(
        gauges.put(gauge("cpu", 11, 0.1)),
        Ok(Put::Stale(gauge("cpu", 11, 0.1)))
    );
    assert_eq!(gauges.get("cpu"), Some(gauge("cpu", 12, 0.9)));
    assert_eq!(gauges.len(), 2);
    let stats = gauges.stats();
    assert_eq!((stats.overwrites, stats.stale), (1, 1));

    let partition = gauges.partition_of("cpu");
    let entry = gauges.pop_entry().expect("two entries");
    assert!(entry.message.name == "cpu" || entry.message.name == "mem");
    if entry.message.name == "cpu" {
        assert_eq!(entry.overwrites, 1);
    }
    assert!(partition < gauges.partitions());
    assert_eq!(gauges.remove("nothing"), None);
    gauges.clear();
    assert!(gauges.is_empty());
}

#[test]
fn map_mode_without_version_is_last_write_wins_and_bounded() {
    let settings = SettingQueue::new().expect("valid");
    settings.push(Setting { key: "a", value: 1 }).unwrap();
    settings.push(Setting { key: "b", value: 2 }).unwrap();
    // A third key does not fit; an existing one is replaced.
    assert_eq!(
        settings.put(Setting { key: "c", value: 3 }),
        Err(PushError::Full(Setting { key: "c", value: 3 }))
    );
    assert_eq!(
        settings.put(Setting { key: "a", value: 9 }),
        Ok(Put::Replaced(Setting { key: "a", value: 1 }))
    );
    assert_eq!(settings.remove("b"), Some(Setting { key: "b", value: 2 }));
    settings.put(Setting { key: "b", value: 4 }).unwrap();
    // First insertion since last taken: "a" (kept its place when replaced), then "b".
    assert_eq!(
        settings.pop_batch(10),
        [
            Setting { key: "a", value: 9 },
            Setting { key: "b", value: 4 }
        ]
    );
    settings.close();
    assert_eq!(
        settings.put(Setting { key: "z", value: 0 }),
        Err(PushError::Closed(Setting { key: "z", value: 0 }))
    );
}
