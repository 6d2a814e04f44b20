//! A consumer process SIGKILLed in the middle of a batch: the batch it held, never
//! acknowledged, is delivered to the other process once the ack wait ends, and everything is
//! processed once by the survivor.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::Server;
use crate::{Job, JobQueue};

const CHILD_URL: &str = "ELASTICQ_JETSTREAM_CHILD_URL";
const LINE: &str = "consumer-child ";
const ACK_WAIT: Duration = Duration::from_millis(1500);

/// The child role of `a_killed_consumer_process_leaves_its_batch_to_the_other`: runs a
/// processor whose function announces its batch and then never returns, until it is killed.
/// Without its environment it does nothing.
#[test]
fn consumer_child() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        let client = elasticq::async_nats::connect(url).await.expect("connects");
        let queue = JobQueue::builder()
            .ack_wait(ACK_WAIT)
            .connect(&client)
            .await
            .expect("the queue connects");
        let _handle = queue
            .processor()
            .interval(Duration::from_millis(10))
            .batch_size(5)
            .spawn(|batch: Vec<Job>| async move {
                let ids: Vec<String> = batch.iter().map(|job| job.id.to_string()).collect();
                println!("{LINE}holding {}", ids.join(","));
                std::future::pending::<Result<(), String>>().await
            });
        std::future::pending::<()>().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_consumer_process_leaves_its_batch_to_the_other() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::builder()
        .ack_wait(ACK_WAIT)
        .connect(&client)
        .await
        .expect("connects");
    queue
        .push_batch_async((0..20).map(|id| Job {
            id,
            body: format!("job {id}"),
        }))
        .await
        .expect("stored");

    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "crash::consumer_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_URL, server.url())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("its stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(held) = line.split(LINE).nth(1) {
                if tx.send(held.to_owned()).is_err() {
                    break;
                }
            }
        }
    });
    let held = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the child takes a batch");
    let held: Vec<u64> = held
        .trim_start_matches("holding ")
        .split(',')
        .map(|id| id.parse().expect("an id"))
        .collect();
    assert_eq!(held.len(), 5, "one batch of five");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let handle = queue
        .processor()
        .interval(Duration::from_millis(10))
        .batch_size(5)
        .spawn(move |batch: Vec<Job>| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock()
                    .expect("not poisoned")
                    .extend(batch.into_iter().map(|job| job.id));
                Ok::<(), String>(())
            }
        });
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().expect("not poisoned").len() < 20 {
        assert!(Instant::now() < deadline, "not everything was processed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    let seen = seen.lock().expect("not poisoned").clone();
    let mut ids = seen.clone();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..20).collect::<Vec<_>>(),
        "each job once, by the survivor"
    );
    // The killed process's batch came back through the server's redelivery, once its ack
    // wait ended: it was never acknowledged, and nothing handed it back. Only it did.
    assert_eq!(queue.counters().redelivered, held.len() as u64);
    assert_eq!(queue.stats().await.expect("stats").len, 0);
}
