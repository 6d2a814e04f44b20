//! Options: `update_options` changes running workers and rejects invalid values, thread
//! workers follow option changes and drain on shutdown, and spawning needs a runtime and
//! valid options.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use elasticq::{ProcessorError, ProcessorOptions};

use crate::common::*;

#[tokio::test]
async fn update_options_changes_running_workers_and_rejects_invalid_values() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let batches = shared::<Vec<Vec<u32>>>();
    let handle = queue.processor().interval(HOUR).batch_size(10).spawn({
        let batches = Arc::clone(&batches);
        move |batch: Vec<Job>| {
            batches.lock().push(job_ids(&batch));
            async { Ok::<(), Infallible>(()) }
        }
    });
    queue.push(Job { id: 1 }).unwrap();
    tokio::time::sleep(ms(20)).await;
    assert!(batches.lock().is_empty(), "drained before the hour");

    // A worker waiting out the hour drains at once on the shorter interval.
    handle
        .update_options(ProcessorOptions::new().interval(ms(10)))
        .unwrap();
    assert_eq!(handle.settings().interval, ms(10));
    eventually("the batch on the new interval", || {
        !batches.lock().is_empty()
    })
    .await;
    assert_eq!(*batches.lock(), [vec![1]]);

    let before = handle.settings();
    let invalid = [
        (ProcessorOptions::new().interval(Duration::ZERO), "interval"),
        (ProcessorOptions::new().batch_size(0), "batch_size"),
        // A valid change beside an invalid one is not applied either.
        (
            ProcessorOptions::new()
                .batch_size(5)
                .interval(Duration::ZERO),
            "interval",
        ),
    ];
    for (options, name) in invalid {
        match handle.update_options(options) {
            Err(error @ ProcessorError::InvalidOption { option, .. }) => {
                assert_eq!(option, name);
                assert!(error.to_string().contains(name), "{error}");
            }
            other => panic!("{options:?} gave {other:?}"),
        }
        assert_eq!(handle.settings(), before);
    }

    handle
        .update_options(
            ProcessorOptions::new()
                .batch_size(2)
                .timeout(Duration::from_secs(5)),
        )
        .unwrap();
    let settings = handle.settings();
    assert_eq!(
        (settings.interval, settings.batch_size, settings.timeout),
        (ms(10), 2, Duration::from_secs(5))
    );
    queue.push_batch((2..=6).map(|id| Job { id })).unwrap();
    eventually("jobs 2 to 6", || {
        batches.lock().iter().flatten().any(|id| *id == 6)
    })
    .await;
    let batches = batches.lock().clone();
    assert!(
        batches[1..].iter().all(|batch| batch.len() <= 2),
        "{batches:?}"
    );
    assert_eq!(batches.concat(), [1, 2, 3, 4, 5, 6]);
    assert!(handle.shutdown().await.is_complete());
}

#[test]
fn thread_workers_follow_option_changes_and_drain_on_shutdown() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(4)
        .spawn_threads(recorder(&batches))
        .unwrap();
    assert_eq!(handle.settings().batch_size, 4);
    for seq in 0..3 {
        queue.push(reading(seq)).unwrap();
    }
    std::thread::sleep(ms(20));
    assert_eq!(handle.stats().processed, 0, "drained before the hour");

    handle
        .update_options(ProcessorOptions::new().interval(ms(5)))
        .unwrap();
    eventually_blocking("the readings on the new interval", || {
        handle.stats().processed == 3
    });

    let before = handle.settings();
    assert!(matches!(
        handle.update_options(ProcessorOptions::new().interval(Duration::ZERO)),
        Err(ProcessorError::InvalidOption {
            option: "interval",
            ..
        })
    ));
    assert!(matches!(
        handle.update_options(ProcessorOptions::new().batch_size(0)),
        Err(ProcessorError::InvalidOption {
            option: "batch_size",
            ..
        })
    ));
    assert_eq!(handle.settings(), before);

    // Back to an hour: what is pushed now waits for the shutdown, which processes it.
    handle
        .update_options(ProcessorOptions::new().interval(HOUR))
        .unwrap();
    for seq in 3..53 {
        queue.push(reading(seq)).unwrap();
    }
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 53);
    let pushed: Vec<u64> = (0..53).collect();
    check_reading_batches(&queue, &batches.lock(), 4, &pushed, |_| 0);
}

#[test]
fn spawning_needs_a_runtime_and_valid_options() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let ok = |_: Vec<Job>| async { Ok::<(), Infallible>(()) };
    assert_eq!(
        queue.processor().try_spawn(ok).err(),
        Some(ProcessorError::NoRuntime)
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(queue.processor().spawn(ok))
    }))
    .expect_err("spawn outside a runtime panics");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("no tokio runtime"), "{message}");

    // The thread variant needs no runtime, but checks its options too.
    assert!(matches!(
        queue
            .processor()
            .interval(Duration::ZERO)
            .spawn_threads(|_: Vec<Job>| Ok::<(), Infallible>(())),
        Err(ProcessorError::InvalidOption {
            option: "interval",
            ..
        })
    ));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(matches!(
            queue.processor().batch_size(0).try_spawn(ok),
            Err(ProcessorError::InvalidOption {
                option: "batch_size",
                ..
            })
        ));
        // The refusals left the queue free for a valid processor.
        queue.push(Job { id: 1 }).unwrap();
        let report = queue.processor().try_spawn(ok).unwrap().shutdown().await;
        assert_eq!(report.stats.processed, 1);
    });

    // Workers sleep between drains: a runtime without its timer is refused up front rather
    // than leaving workers that panic at their first tick.
    let no_timer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    no_timer.block_on(async {
        assert_eq!(
            queue.processor().try_spawn(ok).err(),
            Some(ProcessorError::NoTimer)
        );
    });
}
