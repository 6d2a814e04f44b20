//! `metrics = "label"` on a JetStream queue: the local queues' series under the same names,
//! from this handle's counters and the server's figures, and the processor's events.

use std::collections::BTreeMap;
use std::time::Duration;

use elasticq::{ElasticQueue, JetStreamDelivery};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

use crate::server::Server;

#[derive(ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(
    partitions = 2,
    metrics = "metered",
    jetstream(stream = "METERED", subject = "metered")
)]
pub struct Metered {
    #[elastic_queue(partition_key)]
    key: u32,
}

/// Each series' value by name and sorted labels.
fn read(snapshotter: &Snapshotter) -> BTreeMap<(String, Vec<(String, String)>), DebugValue> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            ((key.name().to_owned(), labels), value)
        })
        .collect()
}

fn value(snapshotter: &Snapshotter, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    labels.sort();
    match read(snapshotter).get(&(name.to_owned(), labels.clone())) {
        Some(DebugValue::Counter(n)) => *n as f64,
        Some(DebugValue::Gauge(g)) => g.into_inner(),
        other => panic!("{name} {labels:?}: {other:?}"),
    }
}

#[test]
fn a_labelled_jetstream_queue_reports_the_local_series() {
    let Some(server) = Server::start() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let client = runtime.block_on(server.client());
    // The series are registered while connecting, with this test's recorder.
    let queue = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(MeteredQueue::connect(&client))
    })
    .expect("connects");
    runtime.block_on(async {
        queue
            .push_batch_async((0..10).map(|key| Metered { key }))
            .await
            .expect("stored");
        let mut taken = Vec::new();
        while taken.len() < 4 {
            let batch = queue
                .pop_delivery_batch_async(4 - taken.len())
                .await
                .expect("a batch");
            taken.extend(JetStreamDelivery::ack_all(batch).await.expect("acked"));
        }
        let stats = queue.stats().await.expect("stats");
        assert_eq!(stats.len, 6);
    });
    let q = [("queue", "metered")];
    assert_eq!(
        value(&snapshotter, "elasticq_messages_enqueued_total", &q),
        10.0
    );
    assert_eq!(
        value(&snapshotter, "elasticq_messages_dequeued_total", &q),
        4.0
    );
    assert_eq!(value(&snapshotter, "elasticq_queue_depth", &q), 6.0);
    let by_partition: f64 = (0..2)
        .map(|p| {
            let p = p.to_string();
            value(
                &snapshotter,
                "elasticq_partition_queue_depth",
                &[("queue", "metered"), ("partition", &p)],
            )
        })
        .sum();
    assert_eq!(by_partition, 6.0);

    // A processor over it records its batches in the processing series.
    runtime.block_on(async {
        let handle = queue
            .processor()
            .interval(Duration::from_millis(5))
            .spawn(|_: Vec<Metered>| async { Ok::<(), String>(()) });
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while handle.stats().processed < 6 {
            assert!(std::time::Instant::now() < deadline, "{:?}", handle.stats());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let report = handle.shutdown().await;
        let batches = report.stats.batches as f64;
        assert_eq!(
            value(&snapshotter, "elasticq_batches_processed_total", &q),
            batches
        );
        queue.stats().await.expect("stats");
    });
    assert_eq!(value(&snapshotter, "elasticq_queue_depth", &q), 0.0);
    assert_eq!(
        value(&snapshotter, "elasticq_messages_dequeued_total", &q),
        10.0
    );
}
