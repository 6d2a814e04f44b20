//! What an acknowledged publish survives: retries under the same id, and a server SIGKILL.

use std::time::Duration;

use crate::server::Server;
use crate::{Job, JobQueue};

/// A publish repeated under the same `Nats-Msg-Id` (a producer retrying after a lost
/// acknowledgement) is stored once, and so processed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_publishes_are_stored_once() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::connect(&client).await.expect("connects");
    for id in 0..20u64 {
        let msg_id = queue.next_msg_id();
        for _ in 0..3 {
            let job = Job {
                id,
                body: "retried".into(),
            };
            queue
                .push_with_id_async(job, msg_id.clone())
                .await
                .expect("stored");
        }
    }
    let counters = queue.counters();
    assert_eq!((counters.published, counters.duplicates), (20, 40));
    let mut ids = Vec::new();
    loop {
        let batch = queue
            .try_pop_delivery_batch_async(50)
            .await
            .expect("a pull");
        if batch.is_empty() {
            break;
        }
        ids.extend(
            elasticq::JetStreamDelivery::ack_all(batch)
                .await
                .expect("acked")
                .into_iter()
                .map(|j| j.id),
        );
    }
    assert_eq!(ids, (0..20).collect::<Vec<_>>());
}

/// The server is SIGKILLed with acknowledged publishes stored and restarted on its store:
/// none is lost, and the queue's handle goes on once the client has reconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_publish_is_lost_when_the_server_is_killed() {
    let Some(mut server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::connect(&client).await.expect("connects");
    queue
        .push_batch_async((0..200).map(|id| Job {
            id,
            body: "durable".into(),
        }))
        .await
        .expect("stored");
    server.restart();
    assert!(server.store().exists());
    // Pushes during the reconnect are retried under their ids, or handed back with them.
    let mut pending: Vec<(Job, String)> = (200..220)
        .map(|id| {
            (
                Job {
                    id,
                    body: "after".into(),
                },
                queue.next_msg_id(),
            )
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while let Some((job, msg_id)) = pending.pop() {
        if let Err(refused) = queue.push_with_id_async(job, msg_id).await {
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not come back"
            );
            let msg_id = refused.msg_id.clone().expect("a publish was sent");
            pending.push((refused.into_message(), msg_id));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut ids = Vec::new();
    while ids.len() < 220 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} came back",
            ids.len()
        );
        match queue.pop_delivery_batch_async(100).await {
            Ok(batch) => ids.extend(
                elasticq::JetStreamDelivery::ack_all(batch)
                    .await
                    .expect("acked")
                    .into_iter()
                    .map(|j| j.id),
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    ids.sort_unstable();
    assert_eq!(ids, (0..220).collect::<Vec<_>>());
}
