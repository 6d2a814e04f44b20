//! The processor over JetStream: every partition drained, a batch acknowledged only after
//! its function succeeded, retries then the dead letter, processes sharing the partitions,
//! the keep-alive of a slow batch, and a shutdown that hands its batch back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elasticq::{Failure, ProcessorOptions};

use crate::server::Server;
use crate::{Event, EventQueue, Job, JobQueue, Urgency};

fn job(id: u64) -> Job {
    Job {
        id,
        body: format!("job {id}"),
    }
}

/// Polls `done` every 10 ms for at most 30 s; the test fails with `what` after that.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One worker per partition drains every partition; each event is processed once, in push
/// order within its source and level, and acknowledged (the stream ends empty).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_partition_is_processed_once_in_order() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = EventQueue::connect(&client).await.expect("connects");
    let events: Vec<Event> = (0..300u64)
        .map(|seq| Event {
            source: (seq % 5) as u32,
            urgency: if seq % 4 == 0 {
                Urgency::High
            } else {
                Urgency::Low
            },
            seq,
        })
        .collect();
    queue
        .push_batch_async(events.clone())
        .await
        .expect("stored");

    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let handle = queue
        .processor()
        .interval(Duration::from_millis(10))
        .batch_size(32)
        .spawn(move |batch: Vec<Event>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock().expect("not poisoned").extend(batch);
                Ok::<(), String>(())
            }
        });
    assert_eq!(handle.settings().batch_size, 32);
    eventually("300 events processed", || {
        seen.lock().expect("not poisoned").len() >= 300
    })
    .await;
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 300);
    assert_eq!(report.stats.failures, 0);

    let seen = seen.lock().expect("not poisoned").clone();
    let mut by_lane: HashMap<(u32, Urgency), Vec<u64>> = HashMap::new();
    for event in &seen {
        by_lane
            .entry((event.source, event.urgency))
            .or_default()
            .push(event.seq);
    }
    for (lane, seqs) in &by_lane {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "lane {lane:?} out of order: {seqs:?}"
        );
    }
    let mut all: Vec<u64> = seen.iter().map(|e| e.seq).collect();
    all.sort_unstable();
    assert_eq!(all, (0..300).collect::<Vec<_>>(), "each event exactly once");
    assert_eq!(
        queue.stats().await.expect("stats").len,
        0,
        "all acknowledged"
    );
}

/// A batch that keeps failing is retried `retries` times with the same messages, then goes
/// to the dead letter and is terminated: it is not delivered again. The others succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_is_retried_then_dead_lettered_and_terminated() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::connect(&client).await.expect("connects");
    queue
        .push_batch_async((0..10).map(job))
        .await
        .expect("stored");

    let tries = Arc::new(Mutex::new(HashMap::<u64, u32>::new()));
    let dead = Arc::new(Mutex::new(Vec::new()));
    let (counted, buried) = (Arc::clone(&tries), Arc::clone(&dead));
    let handle = queue
        .processor()
        .interval(Duration::from_millis(10))
        .batch_size(1)
        .retries(2)
        .backoff(Duration::from_millis(5))
        .dead_letter(move |batch: Vec<Job>, failure: Failure<String>| {
            buried
                .lock()
                .expect("not poisoned")
                .push((batch, failure.attempts));
        })
        .spawn(move |batch: Vec<Job>| {
            let counted = Arc::clone(&counted);
            async move {
                let id = batch[0].id;
                *counted.lock().expect("not poisoned").entry(id).or_default() += 1;
                if id == 7 {
                    Err(format!("job {id} cannot succeed"))
                } else {
                    Ok(())
                }
            }
        });
    eventually("job 7 dead-lettered", || {
        !dead.lock().expect("not poisoned").is_empty()
    })
    .await;
    eventually("the other nine processed", || handle.stats().processed == 9).await;
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.dead_lettered, 1);
    assert_eq!(report.stats.retries, 2);
    let dead = dead.lock().expect("not poisoned").clone();
    assert_eq!(dead, vec![(vec![job(7)], 3)]);
    let tries = tries.lock().expect("not poisoned").clone();
    assert_eq!(tries[&7], 3, "one try and two retries");
    assert!((0..10).filter(|id| *id != 7).all(|id| tries[&id] == 1));
    assert_eq!(queue.counters().terminated, 1);
    assert!(
        queue
            .try_pop_delivery_batch_async(10)
            .await
            .expect("a pull")
            .is_empty(),
        "a terminated batch is not delivered again"
    );
}

/// While the function runs, its batch stays on the server unacknowledged; a panic fails the
/// try like an error, and the retry succeeds; then it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_acknowledged_only_after_the_function_succeeds() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::connect(&client).await.expect("connects");
    queue.push_async(job(1)).await.expect("stored");

    let (release, released) = tokio::sync::watch::channel(false);
    let calls = Arc::new(Mutex::new(0u32));
    let counted = Arc::clone(&calls);
    let handle = queue
        .processor()
        .interval(Duration::from_millis(10))
        .backoff(Duration::from_millis(5))
        .spawn(move |_batch: Vec<Job>| {
            let mut released = released.clone();
            let counted = Arc::clone(&counted);
            async move {
                let call = {
                    let mut calls = counted.lock().expect("not poisoned");
                    *calls += 1;
                    *calls
                };
                assert!(call > 1, "the first try panics");
                let _ = released.wait_for(|go| *go).await;
                Ok::<(), String>(())
            }
        });
    eventually("the retry running", || {
        *calls.lock().expect("not poisoned") >= 2
    })
    .await;
    let stats = queue.stats().await.expect("stats");
    assert_eq!(stats.len, 1, "unacknowledged while the function runs");
    release.send(true).expect("the worker listens");
    eventually("processed", || handle.stats().processed == 1).await;
    let report = handle.shutdown().await;
    assert_eq!((report.stats.failures, report.stats.retries), (1, 1));
    assert_eq!(queue.stats().await.expect("stats").len, 0, "acknowledged");
}

/// Two processes' processors on one stream share its partitions: every job is processed
/// once, by one of them, and both take part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processors_share_the_partitions() {
    let Some(server) = Server::start() else {
        return;
    };
    let (a, b) = (server.client().await, server.client().await);
    let first = EventQueue::connect(&a).await.expect("connects");
    let second = EventQueue::connect(&b).await.expect("connects");
    let events: Vec<Event> = (0..200u64)
        .map(|seq| Event {
            source: (seq % 3) as u32,
            urgency: Urgency::Low,
            seq,
        })
        .collect();
    first.push_batch_async(events).await.expect("stored");

    let seen = Arc::new(Mutex::new(Vec::new()));
    let spawn = |queue: &EventQueue, who: usize| {
        let sink = Arc::clone(&seen);
        queue
            .processor()
            .interval(Duration::from_millis(10))
            .batch_size(10)
            .spawn(move |batch: Vec<Event>| {
                let sink = Arc::clone(&sink);
                async move {
                    // A slow export: the other process pulls meanwhile.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let mut sink = sink.lock().expect("not poisoned");
                    sink.extend(batch.into_iter().map(|e| (who, e.seq)));
                    Ok::<(), String>(())
                }
            })
    };
    let (one, two) = (spawn(&first, 1), spawn(&second, 2));
    eventually("200 processed", || {
        seen.lock().expect("not poisoned").len() >= 200
    })
    .await;
    let (one, two) = (one.shutdown().await, two.shutdown().await);
    assert_eq!(one.stats.processed + two.stats.processed, 200);
    assert!(
        one.stats.processed > 0 && two.stats.processed > 0,
        "both take part: {} and {}",
        one.stats.processed,
        two.stats.processed
    );
    let mut seqs: Vec<u64> = seen
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|(_, seq)| *seq)
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..200).collect::<Vec<_>>(), "each once");
}

/// A batch that takes longer than the ack wait is kept alive with in-progress
/// acknowledgements: another consumer is not handed it meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_batch_is_kept_from_other_consumers() {
    let Some(server) = Server::start() else {
        return;
    };
    let (a, b) = (server.client().await, server.client().await);
    let wait = Duration::from_millis(600);
    let worker = JobQueue::builder()
        .ack_wait(wait)
        .connect(&a)
        .await
        .expect("connects");
    let other = JobQueue::builder()
        .ack_wait(wait)
        .connect(&b)
        .await
        .expect("connects");
    worker.push_async(job(1)).await.expect("stored");
    let started = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&started);
    let handle = worker
        .processor()
        .interval(Duration::from_millis(10))
        .spawn(move |_batch: Vec<Job>| {
            *flag.lock().expect("not poisoned") = true;
            async {
                tokio::time::sleep(Duration::from_millis(2000)).await;
                Ok::<(), String>(())
            }
        });
    eventually("the batch in hand", || {
        *started.lock().expect("not poisoned")
    })
    .await;
    let until = Instant::now() + Duration::from_millis(2300);
    while Instant::now() < until && handle.stats().processed == 0 {
        let stolen = other.try_pop_delivery_batch_async(1).await.expect("a pull");
        assert!(
            stolen.is_empty(),
            "a batch in progress was delivered to another consumer"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eventually("processed", || handle.stats().processed == 1).await;
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(other.counters().delivered, 0);
}

/// A shutdown that times out hands the batch in hand back to the server at once (not after
/// the ack wait) and reports it; the options can change while running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_past_its_timeout_hands_the_batch_back() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::connect(&client).await.expect("connects");
    queue
        .push_batch_async((0..3).map(job))
        .await
        .expect("stored");
    let started = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&started);
    let handle =
        queue
            .processor()
            .interval(Duration::from_secs(3600))
            .spawn(move |_batch: Vec<Job>| {
                *flag.lock().expect("not poisoned") = true;
                std::future::pending::<Result<(), String>>()
            });
    assert!(handle
        .update_options(ProcessorOptions::new().batch_size(0))
        .is_err());
    handle
        .update_options(
            ProcessorOptions::new()
                .interval(Duration::from_millis(10))
                .timeout(Duration::from_millis(200)),
        )
        .expect("valid options");
    eventually("the batch in hand", || {
        *started.lock().expect("not poisoned")
    })
    .await;
    let report = handle.shutdown().await;
    assert!(report.timed_out);
    let mut back: Vec<u64> = report.unprocessed.iter().map(|j| j.id).collect();
    back.sort_unstable();
    assert_eq!(back, vec![0, 1, 2]);
    // The default ack wait is 30 s: these come back within it only because they were
    // handed back.
    let mut again = Vec::new();
    while again.len() < 3 {
        let batch =
            tokio::time::timeout(Duration::from_secs(10), queue.pop_delivery_batch_async(10))
                .await
                .expect("handed back, not left to the ack wait")
                .expect("a batch");
        again.extend(batch);
    }
    assert!(again.iter().all(|d| d.delivered() == 2));
    elasticq::JetStreamDelivery::ack_all(again)
        .await
        .expect("acked");
}
