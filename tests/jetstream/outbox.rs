//! The outbox bridge (`processor().forward_to(...)`): a persisted local queue drained into a
//! JetStream queue. Every message arrives once, in order per key, whatever dies: the
//! forwarder between the publish and the local acknowledgement (in process and by SIGKILL),
//! or the server; and a log directory wiped and made again is never taken for the old one.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use elasticq::{ElasticQueue, JetStreamDelivery};

use crate::server::Server;

/// The local outbox: persisted, two partitions by customer.
#[derive(ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(partitions = 2, persist)]
pub struct Order {
    #[elastic_queue(partition_key)]
    customer: u32,
    seq: u64,
}

/// The same message's queue on JetStream, where the outbox forwards to.
#[elasticq::queue(message = Order, partitions = 2, jetstream(stream = "ORDERS", subject = "orders"))]
pub struct OrderStream;

const CUSTOMERS: u32 = 5;

/// Order `n` of the run: customers in turn, each with its orders numbered from 0.
fn order(n: u64) -> Order {
    Order {
        customer: (n % CUSTOMERS as u64) as u32,
        seq: n / CUSTOMERS as u64,
    }
}

/// Pulls everything the stream holds, acknowledging it, until `expected` messages have come
/// and half a second more has brought nothing (so that a repeat would be seen), or a minute
/// has; returns them in arrival order.
async fn drain_stream(stream: &OrderStream, expected: usize) -> Vec<Order> {
    let mut got = Vec::new();
    let started = Instant::now();
    let mut last_arrival = Instant::now();
    loop {
        let batch = stream
            .try_pop_delivery_batch_async(500)
            .await
            .expect("a pull");
        if !batch.is_empty() {
            last_arrival = Instant::now();
            got.extend(JetStreamDelivery::ack_all(batch).await.expect("acked"));
            continue;
        }
        let settled = got.len() >= expected && last_arrival.elapsed() > Duration::from_millis(500);
        if settled || started.elapsed() > Duration::from_secs(60) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every order of `0..count` exactly once, and each customer's in order (one key lives in
/// one local partition and one stream partition, forwarded in its order).
fn assert_once_in_order(got: &[Order], count: u64) {
    let mut per_customer: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for order in got {
        per_customer
            .entry(order.customer)
            .or_default()
            .push(order.seq);
    }
    let mut total = 0;
    for (customer, seqs) in &per_customer {
        let expected: Vec<u64> = (0..count)
            .map(order)
            .filter(|o| o.customer == *customer)
            .map(|o| o.seq)
            .collect();
        assert_eq!(
            seqs, &expected,
            "customer {customer}: missing, repeated or out of order"
        );
        total += seqs.len();
    }
    assert_eq!(total as u64, count, "every order once");
}

async fn wait_until_forwarded(outbox: &OrderQueue, stream: &OrderStream, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = stream.stats().await.map(|s| s.len).unwrap_or(0);
        if stored >= count && outbox.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "forwarded {stored} of {count}; {} left in the outbox",
            outbox.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_forwards_every_message_once_in_order_per_key() {
    let Some(server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let outbox = std::sync::Arc::new(OrderQueue::open(dir.path()).expect("the outbox opens"));
    let client = server.client().await;
    let stream = OrderStream::connect(&client).await.expect("connects");
    let bridge = outbox
        .processor()
        .interval(Duration::from_millis(5))
        .batch_size(100)
        .forward_to(stream.jetstream_queue())
        .expect("the bridge starts");
    for n in 0..2000 {
        outbox.push(order(n)).expect("room");
    }
    wait_until_forwarded(&outbox, &stream, 2000).await;
    let report = bridge.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 2000);
    assert_eq!(stream.counters().published, 2000);
    assert_eq!(stream.counters().duplicates, 0);
    assert_once_in_order(&drain_stream(&stream, 2000).await, 2000);
    // Acknowledged in the local log: nothing comes back after a reopen.
    drop(outbox);
    let reopened = OrderQueue::open(dir.path()).expect("reopens");
    assert!(reopened.is_empty(), "{} came back", reopened.len());
}

/// The crash between JetStream's acknowledgement and the local one, made exactly: a batch is
/// published with the ids the bridge gives, and the process "dies" (the queue is dropped
/// with the deliveries unacknowledged). After the reopen the bridge publishes them again,
/// and JetStream stores none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_published_but_not_acknowledged_locally_is_stored_once() {
    let Some(server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let client = server.client().await;
    let stream = OrderStream::connect(&client).await.expect("connects");
    {
        let outbox = OrderQueue::open(dir.path()).expect("opens");
        for n in 0..300 {
            outbox.push(order(n)).expect("room");
        }
        let deliveries = outbox.pop_delivery_batch(120);
        let named = deliveries
            .iter()
            .map(|d| (d.message().clone(), d.message_id().expect("an id")))
            .collect();
        stream
            .as_jetstream_queue()
            .push_batch_with_ids_async(named)
            .await
            .expect("stored");
        // The crash: neither acknowledged nor handed back.
        let unacked: Vec<Order> = deliveries.into_iter().map(|d| d.into_unacked()).collect();
        assert_eq!(unacked.len(), 120);
        outbox.sync().expect("synced");
    }
    let outbox = std::sync::Arc::new(OrderQueue::open(dir.path()).expect("reopens"));
    assert_eq!(outbox.len(), 300, "the unacknowledged batch is owed again");
    let bridge = outbox
        .processor()
        .interval(Duration::from_millis(5))
        .forward_to(stream.jetstream_queue())
        .expect("the bridge starts");
    wait_until_forwarded(&outbox, &stream, 300).await;
    let report = bridge.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    let counters = stream.counters();
    assert_eq!(counters.published, 300, "{counters:?}");
    assert_eq!(
        counters.duplicates, 120,
        "the republished batch recognised: {counters:?}"
    );
    assert_once_in_order(&drain_stream(&stream, 300).await, 300);
}

const CHILD_DIR: &str = "ELASTICQ_OUTBOX_CHILD_DIR";
const CHILD_URL: &str = "ELASTICQ_OUTBOX_CHILD_URL";
const KILLED_COUNT: u64 = 3000;

/// The child role of `a_forwarder_process_sigkilled_repeatedly_loses_and_repeats_nothing`:
/// opens the outbox, pushes the orders on the first run, and forwards until killed.
#[test]
fn forwarder_child() {
    let (Ok(dir), Ok(url)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_URL)) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        let outbox = std::sync::Arc::new(OrderQueue::open(&dir).expect("the outbox opens"));
        if outbox.persist_stats().recovered == 0 && !Path::new(&dir).join("pushed").exists() {
            for n in 0..KILLED_COUNT {
                outbox.push(order(n)).expect("room");
            }
            outbox.sync().expect("synced");
            std::fs::write(Path::new(&dir).join("pushed"), b"").expect("a marker");
        }
        let client = elasticq::async_nats::connect(url).await.expect("connects");
        let stream = OrderStream::connect(&client).await.expect("the stream");
        let _bridge = outbox
            .processor()
            .interval(Duration::from_millis(1))
            .batch_size(50)
            .forward_to(stream.jetstream_queue())
            .expect("the bridge starts");
        std::future::pending::<()>().await;
    });
}

/// A forwarder process SIGKILLed three times while it forwards (the kill lands anywhere:
/// mid-publish, between the publishes and the local acknowledgement, mid-acknowledgement),
/// then left to finish: the stream holds every order exactly once, in order per customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarder_process_sigkilled_repeatedly_loses_and_repeats_nothing() {
    let Some(server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let client = server.client().await;
    let stream = OrderStream::connect(&client).await.expect("connects");
    let spawn_child = || {
        Command::new(std::env::current_exe().expect("the test binary"))
            .args([
                "outbox::forwarder_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_URL, server.url())
            .spawn()
            .expect("the child starts")
    };
    let stored = || async { stream.stats().await.map(|s| s.len).unwrap_or(0) };
    let mut last = 0;
    for round in 1..=3u64 {
        let mut child = spawn_child();
        // Killed once this round's share has reached the stream: mid-stream.
        let target = (KILLED_COUNT * round / 4) as usize;
        let deadline = Instant::now() + Duration::from_secs(60);
        while stored().await < target.max(last + 1) {
            assert!(
                Instant::now() < deadline,
                "round {round}: the child forwards nothing"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        last = stored().await;
    }
    let mut child = spawn_child();
    let deadline = Instant::now() + Duration::from_secs(60);
    while stored().await < KILLED_COUNT as usize {
        assert!(
            Instant::now() < deadline,
            "stored {} of {KILLED_COUNT}",
            stored().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Anything still owed locally would be published again now: let it, then look.
    tokio::time::sleep(Duration::from_millis(500)).await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert_eq!(
        stored().await,
        KILLED_COUNT as usize,
        "nothing stored twice"
    );
    assert_once_in_order(
        &drain_stream(&stream, KILLED_COUNT as usize).await,
        KILLED_COUNT,
    );
}

/// The server SIGKILLed while the bridge forwards and producers keep pushing; restarted on
/// its store a moment later. The bridge retries until it is back, and every order arrives
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_rides_out_a_server_killed_and_restarted() {
    let Some(mut server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let outbox = std::sync::Arc::new(OrderQueue::open(dir.path()).expect("opens"));
    let client = server.client().await;
    let stream = OrderStream::connect(&client).await.expect("connects");
    let bridge = outbox
        .processor()
        .interval(Duration::from_millis(5))
        .backoff(Duration::from_millis(50))
        .forward_to(stream.jetstream_queue())
        .expect("the bridge starts");
    for n in 0..500 {
        outbox.push(order(n)).expect("room");
    }
    wait_until_forwarded(&outbox, &stream, 500).await;
    server.kill();
    // Producers never wait on the network: they push into the local log meanwhile.
    for n in 500..1500 {
        outbox
            .push(order(n))
            .expect("room while the server is down");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.restart();
    wait_until_forwarded(&outbox, &stream, 1500).await;
    let report = bridge.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_once_in_order(&drain_stream(&stream, 1500).await, 1500);
}

/// A log directory wiped and made again numbers its records from the start again: its new
/// random id keeps those messages from being taken for the old ones (and dropped as
/// duplicates within the stream's window).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_made_again_is_never_taken_for_the_old_one() {
    let Some(server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("outbox");
    let client = server.client().await;
    let stream = OrderStream::connect(&client).await.expect("connects");
    for run in 0..2u64 {
        let outbox = std::sync::Arc::new(OrderQueue::open(&path).expect("opens"));
        let bridge = outbox
            .processor()
            .interval(Duration::from_millis(5))
            .forward_to(stream.jetstream_queue())
            .expect("the bridge starts");
        for n in run * 100..(run + 1) * 100 {
            outbox.push(order(n)).expect("room");
        }
        wait_until_forwarded(&outbox, &stream, ((run + 1) * 100) as usize).await;
        assert!(bridge.shutdown().await.is_complete());
        drop(outbox);
        std::fs::remove_dir_all(&path).expect("wiped");
    }
    assert_eq!(stream.counters().duplicates, 0);
    assert_once_in_order(&drain_stream(&stream, 200).await, 200);
}
