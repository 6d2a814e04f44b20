//! Settling deliveries: nack, nack_after, term, redelivery of what was never settled, and
//! two handles sharing one stream.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::server::Server;
use crate::{Job, JobQueue};

fn job(id: u64) -> Job {
    Job {
        id,
        body: format!("job {id}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nack_redelivers_and_term_removes() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::connect(&client).await.expect("connects");
    queue.push_async(job(1)).await.expect("stored");
    let first = queue.pop_delivery_async().await.expect("a delivery");
    assert_eq!(first.delivered(), 1);
    first.nack().await.expect("nacked");
    let again = queue.pop_delivery_async().await.expect("delivered again");
    assert_eq!((again.id, again.delivered()), (1, 2));
    let started = Instant::now();
    again
        .nack_after(Duration::from_millis(300))
        .await
        .expect("nacked");
    assert!(queue
        .try_pop_delivery_batch_async(1)
        .await
        .expect("a pull")
        .is_empty());
    let third = queue.pop_delivery_async().await.expect("after the delay");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "redelivered before its delay"
    );
    assert_eq!(third.term().await.expect("terminated").id, 1);
    assert!(queue
        .try_pop_delivery_batch_async(1)
        .await
        .expect("a pull")
        .is_empty());
    let counters = queue.counters();
    assert_eq!(
        (counters.nacked, counters.terminated, counters.redelivered),
        (2, 1, 2)
    );
}

/// A delivery dropped unsettled (its consumer gone) is delivered again once the ack wait
/// ends, to the other handle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsettled_batch_goes_to_another_consumer_after_the_ack_wait() {
    let Some(server) = Server::start() else {
        return;
    };
    let (a, b) = (server.client().await, server.client().await);
    let wait = Duration::from_millis(500);
    let first = JobQueue::builder()
        .ack_wait(wait)
        .connect(&a)
        .await
        .expect("connects");
    let second = JobQueue::builder()
        .ack_wait(wait)
        .connect(&b)
        .await
        .expect("connects");
    first
        .push_batch_async((0..10).map(job))
        .await
        .expect("stored");
    let taken = first.pop_delivery_batch_async(4).await.expect("a batch");
    let ids: Vec<u64> = taken.iter().map(|d| d.id).collect();
    assert_eq!(ids, [0, 1, 2, 3]);
    drop(taken);
    drop(first);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 10 {
        assert!(Instant::now() < deadline, "only {seen:?} arrived");
        for delivery in second.pop_delivery_batch_async(10).await.expect("a batch") {
            seen.push(delivery.ack().await.expect("acked").id);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
    assert!(second.counters().redelivered >= 4);
}

/// Two handles (as two processes would) pull from the same stream: every job is processed
/// by exactly one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_share_the_stream_each_job_once() {
    let Some(server) = Server::start() else {
        return;
    };
    let (a, b) = (server.client().await, server.client().await);
    let producer = JobQueue::connect(&a).await.expect("connects");
    let one = std::sync::Arc::new(JobQueue::connect(&a).await.expect("connects"));
    let two = std::sync::Arc::new(JobQueue::connect(&b).await.expect("connects"));
    producer
        .push_batch_async((0..400).map(job))
        .await
        .expect("stored");
    let drain = |queue: std::sync::Arc<JobQueue>| {
        tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let batch = queue
                    .try_pop_delivery_batch_async(16)
                    .await
                    .expect("a pull");
                if batch.is_empty() {
                    return ids;
                }
                for id in elasticq::JetStreamDelivery::ack_all(batch)
                    .await
                    .expect("acked")
                {
                    ids.push(id.id);
                }
            }
        })
    };
    let (x, y) = (drain(one), drain(two));
    let (x, y) = (x.await.expect("joins"), y.await.expect("joins"));
    let all: HashSet<u64> = x.iter().chain(&y).copied().collect();
    assert_eq!(
        x.len() + y.len(),
        400,
        "a job was processed twice or not at all"
    );
    assert_eq!(all.len(), 400);
}
