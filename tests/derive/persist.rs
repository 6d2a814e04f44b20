#![cfg(feature = "persist")]
//! The generated API of persisted queues: opening, the builder's log settings, deliveries,
//! `sync`, `compact`, `persist_stats`, priorities and partitions across a reopen, queues
//! declared with `#[elasticq::queue(persist(...))]`, and `codec = serde`.

use std::time::Duration;

use elasticq::{Codec, Delivery, ElasticQueue, Error, PersistError, Priority, SyncPolicy};

// The MQTT names.
#[allow(clippy::enum_variant_names)]
#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4, persist(sync = every_write))]
struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
    topic: String,
    payload: Vec<u8>,
}

fn publish(qos: QoS, client: &str, n: u32) -> Publish {
    Publish {
        qos,
        client_id: client.into(),
        topic: format!("t/{n}"),
        payload: n.to_le_bytes().to_vec(),
    }
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
struct Job {
    id: u64,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = periodic(ms = 5)), engine = lock_free)]
struct Tick {
    n: u32,
}

#[test]
fn messages_survive_a_reopen_in_their_partitions_and_levels() {
    let dir = tempfile::tempdir().unwrap();
    let clients = ["a", "b", "c", "d", "e"];
    {
        let queue = PublishQueue::builder()
            .dir(dir.path())
            .segment_bytes(64 << 10)
            .build()
            .unwrap();
        for n in 0..60u32 {
            let qos = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][n as usize % 3];
            queue
                .push(publish(qos, clients[n as usize % 5], n))
                .unwrap();
        }
        assert_eq!(queue.persist_stats().records_written, 60);
    }
    let queue = PublishQueue::open(dir.path()).unwrap();
    assert_eq!(queue.persist_stats().recovered, 60);
    assert_eq!(queue.len(), 60);
    assert_eq!(queue.len_priority(QoS::ExactlyOnce), 20);
    let drained: Vec<Vec<Publish>> = (0..queue.partitions())
        .map(|partition| std::iter::from_fn(|| queue.pop_from(partition)).collect())
        .collect();
    for client in clients {
        let mine: Vec<u32> = drained[queue.partition_of(client)]
            .iter()
            .filter(|p| p.client_id == client)
            .map(|p| u32::from_le_bytes(p.payload.clone().try_into().unwrap()))
            .collect();
        // Within a partition, strict priority, then FIFO within a level.
        let mut expected: Vec<u32> = (0..60)
            .filter(|n| clients[*n as usize % 5] == client)
            .collect();
        expected.sort_by_key(|n| std::cmp::Reverse(n % 3));
        assert_eq!(mine, expected, "client {client}");
    }
    assert!(queue.is_empty());
}

#[test]
fn deliveries_not_acknowledged_come_back_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = JobQueue::open(dir.path()).unwrap();
        queue.push_batch((0..10).map(|id| Job { id })).unwrap();
        let first = queue.pop_delivery().unwrap();
        let second = queue.pop_delivery().unwrap();
        assert_eq!((first.id, second.id), (0, 1));
        assert_eq!(second.ack().unwrap(), Job { id: 1 });
        drop(first); // not acknowledged
        assert_eq!(queue.pop(), Some(Job { id: 2 })); // pop acknowledges
        let batch: Vec<Delivery<Job>> = (0..3).filter_map(|_| queue.pop_delivery()).collect();
        assert_eq!(Delivery::ack_all(batch).unwrap().len(), 3);
        let kept = queue.pop_delivery().unwrap().into_unacked();
        assert_eq!(kept, Job { id: 6 });
    }
    let queue = JobQueue::open(dir.path()).unwrap();
    let ids: Vec<u64> = queue.drain().into_iter().map(|job| job.id).collect();
    assert_eq!(ids, vec![0, 6, 7, 8, 9]);
}

#[test]
fn a_directory_is_opened_by_one_queue_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = JobQueue::open(dir.path()).unwrap();
    match JobQueue::open(dir.path()) {
        Err(Error::Persist(PersistError::Locked { dir: locked })) => {
            assert_eq!(locked, dir.path())
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(first);
    JobQueue::open(dir.path()).unwrap();
}

#[test]
fn the_builder_needs_a_directory_and_checks_the_log_settings() {
    let error = JobQueue::builder().build().unwrap_err();
    assert!(
        matches!(error, Error::InvalidConfig { field: "dir", .. }),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let error = JobQueue::builder()
        .dir(dir.path())
        .segment_bytes(10)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidConfig {
                field: "segment_bytes",
                ..
            }
        ),
        "{error}"
    );
    let error = JobQueue::builder()
        .dir(dir.path())
        .sync(SyncPolicy::Periodic(Duration::ZERO))
        .build()
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidConfig { field: "sync", .. }),
        "{error}"
    );
}

#[test]
fn sync_policies_decide_when_fsyncs_happen() {
    let dir = tempfile::tempdir().unwrap();
    let unsynced = JobQueue::open(dir.path().join("none")).unwrap();
    unsynced.push(Job { id: 1 }).unwrap();
    assert_eq!(unsynced.persist_stats().fsyncs, 0);
    unsynced.sync().unwrap();
    assert_eq!(unsynced.persist_stats().fsyncs, 1);

    // Overridden at run time: every push syncs before it returns.
    let synced = JobQueue::builder()
        .dir(dir.path().join("every"))
        .sync(SyncPolicy::EveryWrite)
        .build()
        .unwrap();
    synced.push(Job { id: 1 }).unwrap();
    synced.push(Job { id: 2 }).unwrap();
    assert_eq!(synced.persist_stats().fsyncs, 2);
    synced.push_batch((3..13).map(|id| Job { id })).unwrap();
    assert_eq!(synced.persist_stats().fsyncs, 3);

    // Periodic: a background thread syncs.
    let periodic = TickQueue::open(dir.path().join("periodic")).unwrap();
    periodic.push(Tick { n: 1 }).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while periodic.persist_stats().fsyncs == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the periodic sync never ran"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn compaction_frees_consumed_segments() {
    let dir = tempfile::tempdir().unwrap();
    let queue = JobQueue::builder()
        .dir(dir.path())
        .segment_bytes(4096)
        .build()
        .unwrap();
    queue.push_batch((0..2000).map(|id| Job { id })).unwrap();
    let held = queue.pop_delivery().unwrap();
    queue.clear();
    // The oldest segment still owes `held`: nothing after it can go either.
    assert_eq!(queue.compact().unwrap(), 0);
    let before = queue.persist_stats().segments;
    assert!(before > 5, "{before} segments");
    held.ack().unwrap();
    assert!(queue.compact().unwrap() > 0);
    assert_eq!(queue.persist_stats().segments, 1);
    drop(queue);
    let queue = JobQueue::open(dir.path()).unwrap();
    assert!(queue.is_empty());
}

#[test]
fn a_full_queue_hands_the_message_back_and_withdraws_its_record() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = JobQueue::builder()
            .dir(dir.path())
            .max_capacity(2)
            .build()
            .unwrap();
        queue.push(Job { id: 1 }).unwrap();
        queue.push(Job { id: 2 }).unwrap();
        assert_eq!(
            queue.push(Job { id: 3 }).unwrap_err().into_inner(),
            Job { id: 3 }
        );
        let refused = queue
            .push_batch([Job { id: 4 }, Job { id: 5 }])
            .unwrap_err()
            .into_inner();
        assert_eq!(refused, vec![Job { id: 4 }, Job { id: 5 }]);
        queue.close();
        assert!(queue.push(Job { id: 6 }).unwrap_err().is_closed());
    }
    let queue = JobQueue::builder()
        .dir(dir.path())
        .max_capacity(2)
        .build()
        .unwrap();
    assert_eq!(queue.drain(), vec![Job { id: 1 }, Job { id: 2 }]);
}

#[test]
fn recovered_messages_beyond_the_maximum_capacity_all_come_back() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = JobQueue::open(dir.path()).unwrap();
        queue.push_batch((0..10).map(|id| Job { id })).unwrap();
    }
    // A smaller maximum than the log was written with still opens: the owed messages come
    // back, in order, and new pushes wait until the queue is below the maximum again.
    let queue = JobQueue::builder()
        .dir(dir.path())
        .max_capacity(4)
        .build()
        .unwrap();
    assert_eq!(queue.len(), 10);
    assert!(queue.push(Job { id: 10 }).unwrap_err().is_full());
    let first: Vec<u64> = queue.pop_batch(7).into_iter().map(|job| job.id).collect();
    assert_eq!(first, (0..7).collect::<Vec<_>>());
    queue.push(Job { id: 10 }).unwrap();
    let rest: Vec<u64> = queue.drain().into_iter().map(|job| job.id).collect();
    assert_eq!(rest, vec![7, 8, 9, 10]);
}

#[derive(ElasticQueue, Codec, Clone, Debug, PartialEq)]
struct Reading {
    sensor: u32,
    value: f64,
}

#[elasticq::queue(message = Reading, persist(sync = none), partitions = 2)]
struct DurableReadings;

#[test]
fn queue_attributes_persist_messages_with_an_encoding() {
    let dir = tempfile::tempdir().unwrap();
    {
        let readings = DurableReadings::open(dir.path()).unwrap();
        readings
            .push(Reading {
                sensor: 1,
                value: 0.5,
            })
            .unwrap();
        readings
            .push(Reading {
                sensor: 2,
                value: 1.5,
            })
            .unwrap();
        assert_eq!(readings.partitions(), 2);
        let delivered = readings.pop_delivery_batch_from(0, 10);
        assert_eq!(delivered.len(), 1);
    }
    let readings = DurableReadings::open(dir.path()).unwrap();
    assert_eq!(readings.len(), 2);
}

#[test]
fn priorities_are_encoded_by_level() {
    assert_eq!(elasticq::to_bytes(&QoS::ExactlyOnce), vec![2]);
    assert_eq!(elasticq::from_bytes::<QoS>(&[1]), Ok(QoS::AtLeastOnce));
    assert!(elasticq::from_bytes::<QoS>(&[3]).is_err());
}

#[cfg(feature = "serde")]
mod serde_codec {
    use elasticq::ElasticQueue;

    #[derive(ElasticQueue, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
    #[elastic_queue(persist(sync = none), codec = serde)]
    struct Event {
        name: String,
        tags: std::collections::BTreeMap<String, String>,
        at: Option<u64>,
    }

    #[test]
    fn serde_messages_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let event = Event {
            name: "login".into(),
            tags: [("user".to_string(), "ada".to_string())].into(),
            at: Some(7),
        };
        {
            let queue = EventQueue::open(dir.path()).unwrap();
            queue.push(event.clone()).unwrap();
        }
        let queue = EventQueue::open(dir.path()).unwrap();
        assert_eq!(queue.pop(), Some(event));
    }
}

#[test]
fn a_segment_of_a_partition_the_log_does_not_have_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(JobQueue::open(dir.path()).unwrap());
    let stray = dir.path().join("p0003-0000000000000000.wal");
    std::fs::copy(dir.path().join("p0000-0000000000000000.wal"), &stray).unwrap();
    match JobQueue::open(dir.path()) {
        Err(Error::Persist(PersistError::Header {
            path, offset: 12, ..
        })) => {
            assert_eq!(path, stray)
        }
        other => panic!("expected a header error on the stray segment, got {other:?}"),
    }
}
