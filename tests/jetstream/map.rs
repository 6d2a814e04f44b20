//! Map mode over a JetStream key-value bucket: put, get, remove with PartitionedBuffer.Map's
//! rule (last write wins, or the newer version), revisions, writers racing from two
//! connections, a conflicting bucket, and entries surviving a server restart.

use elasticq::{ElasticQueue, JetStreamError, Put, StreamStorage};

use crate::server::Server;

/// Last write wins: no version field.
#[derive(ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(mode = map, jetstream(stream = "GAUGES", subject = "gauges"))]
pub struct Gauge {
    #[elastic_queue(key)]
    name: String,
    value: i64,
}

/// The newer version wins.
#[derive(ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(mode = map, jetstream(stream = "SAMPLES", subject = "samples"))]
pub struct Sample {
    #[elastic_queue(key)]
    sensor: u32,
    #[elastic_queue(version)]
    taken_at: u64,
    value: i32,
}

fn gauge(name: &str, value: i64) -> Gauge {
    Gauge {
        name: name.to_owned(),
        value,
    }
}

fn sample(sensor: u32, taken_at: u64) -> Sample {
    Sample {
        sensor,
        taken_at,
        value: (taken_at * 10) as i32,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_and_remove_with_the_last_write_winning() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let gauges = GaugeQueue::connect(&client).await.expect("connects");
    assert_eq!(
        gauges.put_async(gauge("cpu", 5)).await.expect("put"),
        Put::Inserted
    );
    assert_eq!(
        gauges.put_async(gauge("mem", 1)).await.expect("put"),
        Put::Inserted
    );
    assert_eq!(
        gauges.put_async(gauge("cpu", 9)).await.expect("put"),
        Put::Replaced(gauge("cpu", 5))
    );
    assert_eq!(
        gauges.get_async(&"cpu".to_owned()).await.expect("get"),
        Some(gauge("cpu", 9))
    );
    assert_eq!(
        gauges.get_async(&"disk".to_owned()).await.expect("get"),
        None
    );
    assert_eq!(
        gauges
            .remove_async(&"cpu".to_owned())
            .await
            .expect("remove"),
        Some(gauge("cpu", 9))
    );
    assert_eq!(
        gauges.get_async(&"cpu".to_owned()).await.expect("get"),
        None
    );
    assert_eq!(
        gauges
            .remove_async(&"cpu".to_owned())
            .await
            .expect("remove"),
        None
    );
    // A removed key starts again as a new entry.
    assert_eq!(
        gauges.put_async(gauge("cpu", 1)).await.expect("put"),
        Put::Inserted
    );
    // Another connection sees the same entries.
    let other = GaugeQueue::connect(&server.client().await)
        .await
        .expect("connects");
    assert_eq!(
        other.get_async(&"mem".to_owned()).await.expect("get"),
        Some(gauge("mem", 1))
    );
    assert_eq!(
        other.get_async(&"cpu".to_owned()).await.expect("get"),
        Some(gauge("cpu", 1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newer_version_wins_and_revisions_increase() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let samples = SampleQueue::connect(&client).await.expect("connects");
    assert_eq!(
        samples.put_async(sample(1, 10)).await.expect("put"),
        Put::Inserted
    );
    let first = samples
        .get_entry_async(&1)
        .await
        .expect("get")
        .expect("an entry");
    assert_eq!(
        samples.put_async(sample(1, 20)).await.expect("put"),
        Put::Replaced(sample(1, 10))
    );
    let second = samples
        .get_entry_async(&1)
        .await
        .expect("get")
        .expect("an entry");
    assert!(
        second.revision > first.revision,
        "{first:?} then {second:?}"
    );
    // Older and equal versions change nothing.
    assert_eq!(
        samples.put_async(sample(1, 15)).await.expect("put"),
        Put::Stale(sample(1, 15))
    );
    assert_eq!(
        samples.put_async(sample(1, 20)).await.expect("put"),
        Put::Stale(sample(1, 20))
    );
    let after = samples
        .get_entry_async(&1)
        .await
        .expect("get")
        .expect("an entry");
    assert_eq!(after, second, "a stale put wrote nothing");
}

/// Eight writers on two connections put the versions of the same keys, each its own share
/// in its own shuffled order, at once. Whatever the interleaving, the history is linear:
/// every version stored was replaced exactly once (each `Put::Replaced` names a different
/// one), except the last, which is the newest version. With a blind write in place of the
/// compare-and-set, two writers that read the same entry both report replacing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_leave_a_linear_history_and_the_newest_version() {
    let Some(server) = Server::start() else {
        return;
    };
    const KEYS: u32 = 2;
    const VERSIONS: u64 = 400;
    const WRITERS: u64 = 8;
    let a = std::sync::Arc::new(
        SampleQueue::connect(&server.client().await)
            .await
            .expect("a"),
    );
    let b = std::sync::Arc::new(
        SampleQueue::connect(&server.client().await)
            .await
            .expect("b"),
    );
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let map = if writer % 2 == 0 {
            a.clone()
        } else {
            b.clone()
        };
        writers.push(tokio::spawn(async move {
            // Each version is put by one writer only.
            let mut order: Vec<u64> = (0..VERSIONS).filter(|v| v % WRITERS == writer).collect();
            shuffle(&mut order, writer + 1);
            // Per put: (key, version written, or None if stale; the version it replaced).
            let mut outcomes = Vec::new();
            for version in order {
                for key in 0..KEYS {
                    let outcome = match map.put_async(sample(key, version)).await.expect("put") {
                        Put::Inserted => (key, Some(version), None),
                        Put::Replaced(old) => (key, Some(version), Some(old.taken_at)),
                        Put::Stale(_) => (key, None, None),
                    };
                    outcomes.push(outcome);
                }
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for writer in writers {
        outcomes.extend(writer.await.expect("a writer"));
    }
    assert_eq!(outcomes.len() as u64, VERSIONS * u64::from(KEYS));
    for key in 0..KEYS {
        let newest = VERSIONS - 1;
        assert_eq!(
            a.get_async(&key).await.expect("get"),
            Some(sample(key, newest))
        );
        let of_key = outcomes.iter().filter(|o| o.0 == key);
        let mut written: Vec<u64> = of_key.clone().filter_map(|o| o.1).collect();
        let mut replaced: Vec<u64> = of_key.clone().filter_map(|o| o.2).collect();
        let inserted = of_key.filter(|o| o.1.is_some() && o.2.is_none()).count();
        assert_eq!(inserted, 1, "key {key}: one put inserted the entry");
        written.sort_unstable();
        replaced.sort_unstable();
        replaced.push(newest);
        replaced.sort_unstable();
        assert_eq!(
            written, replaced,
            "key {key}: every stored version replaced once, but the newest"
        );
    }
}

/// A Fisher-Yates shuffle driven by a small linear congruential generator seeded with `seed`.
fn shuffle(items: &mut [u64], seed: u64) {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        items.swap(i, (state >> 33) as usize % (i + 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_with_other_settings_is_a_typed_error_and_entries_survive_a_restart() {
    let Some(mut server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let gauges = GaugeQueue::connect(&client).await.expect("connects");
    gauges.put_async(gauge("cpu", 3)).await.expect("put");
    match GaugeQueue::builder()
        .storage(StreamStorage::Memory)
        .connect(&client)
        .await
    {
        Err(JetStreamError::StreamConflict { setting, .. }) => assert_eq!(setting, "storage"),
        other => panic!("expected a storage conflict, got {other:?}"),
    }
    drop(gauges);
    server.kill();
    server.restart();
    let client = server.client().await;
    let gauges = GaugeQueue::connect(&client).await.expect("reconnects");
    assert_eq!(
        gauges.get_async(&"cpu".to_owned()).await.expect("get"),
        Some(gauge("cpu", 3))
    );
}
