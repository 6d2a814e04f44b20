//! Map mode: the processor hands entries with their overwrites.

use std::convert::Infallible;
use std::sync::Arc;

use elasticq::{Entry, ProcessorOptions, Put};

use crate::common::*;

#[tokio::test]
async fn map_mode_hands_entries_with_their_overwrites() {
    let gauges = Arc::new(GaugeQueue::new().unwrap());
    let entries = shared::<Vec<Entry<Gauge>>>();
    let handle = gauges.processor().interval(HOUR).spawn({
        let entries = Arc::clone(&entries);
        move |batch: Vec<Entry<Gauge>>| {
            entries.lock().extend(batch);
            async { Ok::<(), Infallible>(()) }
        }
    });
    assert_eq!(gauges.put(gauge("cpu", 1, 10)), Ok(Put::Inserted));
    assert_eq!(
        gauges.put(gauge("cpu", 2, 20)),
        Ok(Put::Replaced(gauge("cpu", 1, 10)))
    );
    assert_eq!(
        gauges.put(gauge("cpu", 3, 30)),
        Ok(Put::Replaced(gauge("cpu", 2, 20)))
    );
    gauges.put(gauge("mem", 1, 7)).unwrap();
    gauges.put(gauge("disk", 5, 50)).unwrap();
    // An older version is stale: not an overwrite.
    assert_eq!(
        gauges.put(gauge("disk", 4, 40)),
        Ok(Put::Stale(gauge("disk", 4, 40)))
    );
    handle
        .update_options(ProcessorOptions::new().interval(ms(5)))
        .unwrap();
    eventually("three entries", || entries.lock().len() == 3).await;
    let by_name = |entries: &[Entry<Gauge>], name: &str| {
        entries
            .iter()
            .find(|entry| entry.message.name == name)
            .cloned()
    };
    let first = entries.lock().clone();
    assert_eq!(
        by_name(&first, "cpu"),
        Some(Entry {
            message: gauge("cpu", 3, 30),
            overwrites: 2
        })
    );
    assert_eq!(
        by_name(&first, "mem").map(|entry| entry.overwrites),
        Some(0)
    );
    assert_eq!(
        by_name(&first, "disk"),
        Some(Entry {
            message: gauge("disk", 5, 50),
            overwrites: 0
        })
    );

    // Once taken, a key starts over: the next entry counts only its own overwrites.
    gauges.put(gauge("cpu", 4, 40)).unwrap();
    gauges.put(gauge("cpu", 5, 50)).unwrap();
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    let entries = entries.lock();
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert_eq!(
        entries[3],
        Entry {
            message: gauge("cpu", 5, 50),
            overwrites: 1
        }
    );
    assert_eq!(report.stats.processed, 4);
}
