//! Streams and consumers that exist with other settings: typed errors, nothing rewritten.

use std::time::Duration;

use elasticq::{JetStreamError, StreamStorage};

use crate::server::Server;
use crate::JobQueue;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_with_other_settings_is_a_typed_error() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    JobQueue::builder()
        .storage(StreamStorage::Memory)
        .connect(&client)
        .await
        .expect("creates the stream in memory");
    let error = JobQueue::connect(&client)
        .await
        .expect_err("file storage conflicts");
    match &error {
        JetStreamError::StreamConflict {
            stream,
            setting,
            existing,
            declared,
        } => {
            assert_eq!((stream.as_str(), *setting), ("JOBS", "storage"));
            assert_eq!((existing.as_str(), declared.as_str()), ("memory", "file"));
        }
        other => panic!("expected a stream conflict, got {other}"),
    }
    let error = JobQueue::builder()
        .storage(StreamStorage::Memory)
        .max_bytes(1 << 20)
        .connect(&client)
        .await
        .expect_err("another size conflicts");
    assert!(
        matches!(
            error,
            JetStreamError::StreamConflict {
                setting: "max_bytes",
                ..
            }
        ),
        "{error}"
    );
    let error = JobQueue::builder()
        .storage(StreamStorage::Memory)
        .ack_wait(Duration::from_secs(3))
        .connect(&client)
        .await
        .expect_err("another ack wait conflicts");
    assert!(
        matches!(
            error,
            JetStreamError::ConsumerConflict {
                setting: "ack_wait",
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_settings_are_refused_before_any_request() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let error = JobQueue::builder()
        .replicas(9)
        .connect(&client)
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            JetStreamError::InvalidOptions {
                setting: "replicas",
                ..
            }
        ),
        "{error}"
    );
}

/// A stream full under `max_bytes` refuses the push and hands the message back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_hands_the_message_back() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = JobQueue::builder()
        .max_bytes(4096)
        .publish_tries(1)
        .connect(&client)
        .await
        .expect("connects");
    let mut refused = None;
    for id in 0..200 {
        if let Err(error) = queue
            .push_async(crate::Job {
                id,
                body: "x".repeat(100),
            })
            .await
        {
            refused = Some(error);
            break;
        }
    }
    let refused = refused.expect("the stream filled up");
    assert!(
        matches!(refused.error, JetStreamError::Publish(_)),
        "{}",
        refused.error
    );
    assert_eq!(refused.message.body.len(), 100);
    assert!(queue.counters().refused >= 1);
}
