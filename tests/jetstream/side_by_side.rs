//! One message type with a local queue (the derive) and a JetStream queue
//! (`#[elasticq::queue(message = M, jetstream(...))]`) side by side: the same message moves
//! from one to the other.

use elasticq::ElasticQueue;

use crate::server::Server;

/// Declared once; its derive gives the local `ReadingQueue`, and `Codec` its encoding on
/// the stream (a JetStream queue declared apart needs one, as a persisted queue does).
#[derive(ElasticQueue, elasticq::Codec, Debug, Clone, PartialEq)]
#[elastic_queue(partitions = 2)]
pub struct Reading {
    #[elastic_queue(partition_key)]
    sensor: u32,
    value: u64,
}

/// The same message's queue on JetStream, declared apart.
#[elasticq::queue(message = Reading, partitions = 2, jetstream(stream = "READINGS", subject = "readings"))]
pub struct ReadingStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_queue_and_a_jetstream_queue_of_one_message() {
    let Some(server) = Server::start() else {
        return;
    };
    let local = ReadingQueue::new().expect("the local queue");
    for value in 0..10 {
        local
            .push(Reading {
                sensor: (value % 3) as u32,
                value,
            })
            .expect("room");
    }
    let client = server.client().await;
    let remote = ReadingStream::connect(&client).await.expect("connects");
    assert_eq!(remote.partitions(), 2);
    let mut moved = Vec::new();
    for partition in 0..2 {
        for reading in local.pop_batch_from(partition, 10) {
            // Both route a message by the same stable hash of its key.
            assert_eq!(remote.partition_for(&reading), partition, "{reading:?}");
            moved.push(reading);
        }
    }
    assert_eq!(moved.len(), 10);
    moved.sort_by_key(|r| r.value);
    remote
        .push_batch_async(moved.clone())
        .await
        .expect("stored");
    let mut back = Vec::new();
    while back.len() < moved.len() {
        let batch = remote.pop_delivery_batch_async(10).await.expect("a batch");
        back.extend(
            elasticq::JetStreamDelivery::ack_all(batch)
                .await
                .expect("acked"),
        );
    }
    back.sort_by_key(|r| r.value);
    assert_eq!(back, moved);
    assert!(local.is_empty());
}
