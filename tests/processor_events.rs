//! The processor's `tracing` events (PartitionedBuffer's telemetry): partition start and stop,
//! processing start and stop with size and duration, exception (a panic), failure (an error),
//! and the dead-letter / drop of a batch given up on. A subscriber installed for the whole
//! test binary records them; the binary holds this one test, so nothing else emits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use elasticq::{ElasticQueue, Failure};
use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 2)]
struct Export {
    #[elastic_queue(partition_key)]
    source: u32,
    seq: u32,
}

/// One recorded event: its message and its fields, as text.
#[derive(Clone, Debug, Default)]
struct Recorded {
    target: String,
    message: String,
    fields: Vec<(String, String)>,
}

impl Recorded {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

impl Visit for Recorded {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_owned(), text));
        }
    }
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Recorded>>>);

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut recorded = Recorded {
            target: event.metadata().target().to_owned(),
            ..Recorded::default()
        };
        event.record(&mut recorded);
        self.0.lock().push(recorded);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn the_processor_reports_every_step_through_tracing() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).expect("the only subscriber");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let report = runtime.block_on(async {
        let queue = Arc::new(ExportQueue::new().unwrap());
        let handle = queue
            .processor()
            .interval(Duration::from_secs(3600))
            .batch_size(10)
            .retries(1)
            .backoff(Duration::from_millis(1))
            .dead_letter(|_batch, _failure: Failure<String>| {})
            .spawn({
                let calls = Arc::clone(&calls);
                move |batch: Vec<Export>| {
                    let failing = batch[0].source == 0;
                    let try_of_failing = if failing {
                        calls.fetch_add(1, Ordering::SeqCst)
                    } else {
                        0
                    };
                    async move {
                        // The batch of source 0 fails with an error, then panics: both
                        // tries fail, and it is dead-lettered. The other succeeds.
                        if failing {
                            if try_of_failing == 0 {
                                return Err("exporter unavailable".to_owned());
                            }
                            panic!("exporter crashed");
                        }
                        Ok(())
                    }
                }
            });
        let to_source_1 = (0..u32::MAX)
            .find(|&source| source != 0 && queue.partition_of(&source) != queue.partition_of(&0))
            .unwrap();
        for seq in 0..3 {
            queue.push(Export { source: 0, seq }).unwrap();
            queue
                .push(Export {
                    source: to_source_1,
                    seq,
                })
                .unwrap();
        }
        handle.shutdown().await
    });
    assert_eq!(report.stats.processed, 3);
    assert_eq!(report.stats.dead_lettered, 3);

    let events = recorder.0.lock().clone();
    let named = |message: &str| -> Vec<Recorded> {
        events
            .iter()
            .filter(|event| event.target == "elasticq::processor" && event.message == message)
            .cloned()
            .collect()
    };
    for event in events.iter().filter(|e| e.target == "elasticq::processor") {
        assert_eq!(event.field("queue"), Some("\"ExportQueue\""), "{event:?}");
        assert!(event.field("partition").is_some(), "{event:?}");
    }
    assert_eq!(named("partition start").len(), 2, "one per partition");
    let stops = named("partition stop");
    assert_eq!(stops.len(), 2);
    assert!(stops
        .iter()
        .all(|stop| stop.field("reason") == Some("\"shutdown\"")));
    // Two tries of the failing batch and one of the other.
    let starts = named("processing start");
    assert_eq!(starts.len(), 3);
    assert!(starts.iter().all(|start| start.field("size") == Some("3")));
    let done = named("processing stop");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].field("size"), Some("3"));
    assert!(done[0].field("duration_us").is_some());
    let failed = named("processing failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].field("error"), Some("\"exporter unavailable\""));
    let exceptions = named("processing exception");
    assert_eq!(exceptions.len(), 1);
    assert_eq!(exceptions[0].field("panic"), Some("exporter crashed"));
    assert_eq!(exceptions[0].field("attempt"), Some("2"));
    assert_eq!(named("batch dead-lettered").len(), 1);
}
