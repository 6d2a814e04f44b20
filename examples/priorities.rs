//! An MQTT broker's outbound path: publishes carry a QoS level, which is their priority, and
//! a client id, which routes them to one of four partitions. One worker per partition
//! drains its own partition, highest QoS first but fairly (no more than 4 in a row from one
//! level while a lower one waits), so each client's messages stay in order and QoS 0 traffic
//! is never starved by a flood of QoS 2.
//!
//! Retained messages are the other half: a map-mode buffer keeps only the newest retained
//! publish per topic, and counts how often each was overwritten before it was flushed.
//!
//! Run it with `cargo run --release --example priorities`.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;

use elasticq::{ElasticQueue, Priority, PushError};

/// MQTT's quality-of-service levels; a later variant ranks higher.
// MQTT's own names for the levels.
#[allow(clippy::enum_variant_names)]
#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

/// An outbound publish.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    engine = lock_free,
    capacity(initial = 256, min = 64, max = 65_536),
    partitions = 4,
    fair(max_consecutive = 4)
)]
struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
    topic: String,
    /// Position of this publish in its client's stream.
    seq: u32,
}

/// A retained message: the broker keeps only the newest per topic.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
struct Retained {
    #[elastic_queue(key)]
    topic: String,
    #[elastic_queue(version)]
    published_at: u64,
    payload: Vec<u8>,
}

const CLIENTS: u32 = 8;
const PER_CLIENT: u32 = 20_000;

fn qos_for(client: u32, seq: u32) -> QoS {
    // Most traffic is QoS 2 (a flood), with a steady trickle of QoS 0 and 1.
    match (client + seq) % 10 {
        0 => QoS::AtMostOnce,
        1 | 2 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let outbound = Arc::new(PublishQueue::new()?);
    println!(
        "PublishQueue: {} partitions, client-3 -> partition {}",
        outbound.partitions(),
        outbound.partition_of("client-3")
    );

    let producers: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let outbound = Arc::clone(&outbound);
            thread::spawn(move || {
                let client_id = format!("client-{client}");
                for seq in 0..PER_CLIENT {
                    let mut publish = Publish {
                        qos: qos_for(client, seq),
                        client_id: client_id.clone(),
                        topic: format!("sensors/{client}"),
                        seq,
                    };
                    // At the maximum, wait for the workers instead of dropping anything.
                    while let Err(PushError::Full(back)) = outbound.push(publish) {
                        publish = back;
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().expect("producer panicked");
    }

    // One worker per partition. Each checks that every client's messages of one QoS come
    // out in the order they were published, and records the QoS of its first 40 pops.
    let workers: Vec<_> = (0..outbound.partitions())
        .map(|partition| {
            let outbound = Arc::clone(&outbound);
            thread::spawn(move || {
                let mut last: HashMap<(String, QoS), u32> = HashMap::new();
                let mut first_pops = Vec::new();
                let mut delivered = 0u32;
                loop {
                    let batch = outbound.pop_batch_from(partition, 64);
                    if batch.is_empty() {
                        break;
                    }
                    for publish in batch {
                        if first_pops.len() < 40 {
                            first_pops.push(publish.qos);
                        }
                        let stream = (publish.client_id.clone(), publish.qos);
                        if let Some(previous) = last.insert(stream, publish.seq) {
                            assert!(previous < publish.seq, "out of order within a client");
                        }
                        delivered += 1;
                    }
                }
                (partition, delivered, first_pops)
            })
        })
        .collect();
    for worker in workers {
        let (partition, delivered, first_pops) = worker.join().expect("worker panicked");
        let lower = first_pops
            .iter()
            .filter(|q| **q != QoS::ExactlyOnce)
            .count();
        println!(
            "partition {partition}: delivered {delivered:>6}; first {} pops held {lower} QoS 0/1 \
             publishes between the QoS 2 flood (fair: at most 4 in a row)",
            first_pops.len()
        );
    }
    let stats = outbound.stats();
    assert_eq!(stats.dequeued, u64::from(CLIENTS * PER_CLIENT));
    assert_eq!(stats.len, 0);
    for (level, counters) in stats.levels.iter().enumerate() {
        println!("QoS {level}: {} publishes", counters.dequeued);
    }

    // Retained messages: only the newest per topic survives until the flush.
    let retained = RetainedQueue::new()?;
    for published_at in 0..1_000u64 {
        let topic = format!("sensors/{}", published_at % 8);
        retained.put(Retained {
            topic,
            published_at,
            payload: published_at.to_le_bytes().to_vec(),
        })?;
    }
    // A late, older copy is ignored and counted.
    retained.put(Retained {
        topic: "sensors/0".into(),
        published_at: 3,
        payload: Vec::new(),
    })?;
    let newest = retained.get("sensors/0").map(|r| r.published_at);
    println!("retained sensors/0 is the publish from t={newest:?}");
    let stats = retained.stats();
    println!(
        "retained: {} topics kept, {} overwrites, {} stale puts ignored",
        stats.len, stats.overwrites, stats.stale
    );
    while let Some(entry) = retained.pop_entry() {
        println!(
            "  flush {} (t={}, overwritten {} times)",
            entry.message.topic, entry.message.published_at, entry.overwrites
        );
    }
    Ok(())
}
