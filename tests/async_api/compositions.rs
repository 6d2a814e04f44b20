//! Compositions: a persisted queue waits too (and `pop_async` acknowledges), and map mode's
//! `pop_async` waits for a put.

use std::sync::Arc;

use crate::common::*;

#[test]
fn persisted_queue_waits_too() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let queue = Arc::new(StoredQueue::open(dir.path()).unwrap());
        let waiting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.pop_async().await }
        });
        tokio::task::yield_now().await;
        queue
            .push_async(Stored {
                producer: 0,
                seq: 0,
            })
            .await
            .unwrap();
        let popped = tokio::time::timeout(HANG, waiting).await.unwrap().unwrap();
        assert_eq!(
            popped,
            Some(Stored {
                producer: 0,
                seq: 0
            })
        );
    });
    // `pop_async` acknowledges, as `pop` does: nothing comes back.
    let reopened = StoredQueue::open(dir.path()).unwrap();
    assert_eq!(reopened.len(), 0);
}

#[test]
fn map_mode_pop_async_waits_for_a_put() {
    runtime().block_on(async {
        let gauges = Arc::new(GaugeQueue::new().unwrap());
        let waiting = tokio::spawn({
            let gauges = Arc::clone(&gauges);
            async move { gauges.pop_async().await }
        });
        tokio::task::yield_now().await;
        gauges.put(Gauge { name: 1, value: 10 }).unwrap();
        let popped = tokio::time::timeout(HANG, waiting).await.unwrap().unwrap();
        assert_eq!(popped, Some(Gauge { name: 1, value: 10 }));
    });
}
