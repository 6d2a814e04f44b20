//! Order per partition and level, priority between levels, and conservation.

use std::collections::HashMap;

use crate::server::Server;
use crate::{Event, EventQueue, Urgency};

/// Every event pushed is popped once, in push order within its source (one partition) and
/// level; high-urgency events all come before low ones that were waiting with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_per_partition_and_level_and_strict_priority() {
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = EventQueue::connect(&client)
        .await
        .expect("the queue connects");
    let mut pushed = Vec::new();
    for seq in 0..300u64 {
        let urgency = if seq % 3 == 0 {
            Urgency::High
        } else {
            Urgency::Low
        };
        pushed.push(Event {
            source: (seq % 7) as u32,
            urgency,
            seq,
        });
    }
    queue
        .push_batch_async(pushed.clone())
        .await
        .expect("every push is stored");
    assert_eq!(queue.stats().await.expect("stats").len, 300);

    let mut popped = Vec::new();
    while popped.len() < pushed.len() {
        let batch = queue.pop_delivery_batch_async(64).await.expect("a batch");
        let messages = elasticq::JetStreamDelivery::ack_all(batch)
            .await
            .expect("acked");
        popped.extend(messages);
    }
    assert!(queue
        .try_pop_delivery_batch_async(10)
        .await
        .expect("a pull")
        .is_empty());
    assert_eq!(
        queue.stats().await.expect("stats").len,
        0,
        "acknowledged messages leave the stream"
    );

    // Strict priority: no low event is popped before the last high one.
    let last_high = popped
        .iter()
        .rposition(|e| e.urgency == Urgency::High)
        .expect("highs");
    let first_low = popped
        .iter()
        .position(|e| e.urgency == Urgency::Low)
        .expect("lows");
    assert!(last_high < first_low, "a low event came before a high one");

    // Order within (source, level), and conservation.
    let mut last: HashMap<(u32, Urgency), u64> = HashMap::new();
    for event in &popped {
        if let Some(before) = last.insert((event.source, event.urgency), event.seq) {
            assert!(before < event.seq, "{event:?} after seq {before}");
        }
    }
    let mut seqs: Vec<u64> = popped.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..300).collect::<Vec<_>>());
    // A source always maps to the same partition, in any process.
    for event in &pushed {
        assert_eq!(
            queue.partition_for(event),
            (elasticq::stable_hash(&event.source) % 3) as usize
        );
    }
}

/// `fair(max_consecutive = 2)`: a low-level message waits at most two high ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fair_levels_take_turns() {
    #[derive(elasticq::ElasticQueue, Debug, Clone, PartialEq)]
    #[elastic_queue(
        fair(max_consecutive = 2),
        jetstream(stream = "FAIR", subject = "fair")
    )]
    struct Task {
        #[elastic_queue(priority)]
        urgency: Urgency,
        n: u32,
    }
    let Some(server) = Server::start() else {
        return;
    };
    let client = server.client().await;
    let queue = TaskQueue::connect(&client).await.expect("connects");
    for n in 0..6 {
        queue
            .push_async(Task {
                urgency: Urgency::High,
                n,
            })
            .await
            .expect("stored");
        queue
            .push_async(Task {
                urgency: Urgency::Low,
                n,
            })
            .await
            .expect("stored");
    }
    let mut levels = Vec::new();
    for _ in 0..6 {
        let delivery = queue.pop_delivery_async().await.expect("a delivery");
        levels.push(delivery.urgency);
        delivery.ack().await.expect("acked");
    }
    use Urgency::{High, Low};
    assert_eq!(levels, [High, High, Low, High, High, Low]);
}
