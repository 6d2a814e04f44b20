//! The generated queues' async side: `push_async`, `pop_async`, `pop_async_timeout`,
//! `stream()` and `sink()`, over every composition (engines, priorities, partitions, map mode,
//! persistence). Wake-ups are checked for loss (a lost one hangs a waiter, which the tests
//! turn into a failure after a generous deadline) and cancellation for lost messages.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use elasticq::{ElasticQueue, PopError, Priority, PushError};
use futures::{SinkExt, StreamExt};

/// Long enough that only a lost wake-up (a waiter that never wakes) reaches it.
const HANG: Duration = Duration::from_secs(60);

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 2, min = 1, max = 4))]
struct Job {
    producer: u32,
    seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, capacity(initial = 2, min = 1, max = 4))]
struct FreeJob {
    producer: u32,
    seq: u32,
}

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Low,
    High,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 3, capacity(initial = 2, min = 1, max = 4))]
struct Keyed {
    #[elastic_queue(partition_key)]
    producer: u32,
    seq: u32,
    #[elastic_queue(priority)]
    level: Level,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
struct Gauge {
    #[elastic_queue(key)]
    name: u32,
    value: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none), capacity(initial = 2, min = 1, max = 4))]
struct Stored {
    producer: u32,
    seq: u32,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Counts how often a task is woken.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    (Arc::clone(&counter), Waker::from(counter))
}

#[test]
fn pop_async_waits_for_a_push_and_ends_at_close() {
    runtime().block_on(async {
        let queue = Arc::new(JobQueue::new().unwrap());
        let waiting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.pop_async().await }
        });
        tokio::task::yield_now().await;
        queue
            .push(Job {
                producer: 0,
                seq: 1,
            })
            .unwrap();
        let popped = tokio::time::timeout(HANG, waiting).await.unwrap().unwrap();
        assert_eq!(
            popped,
            Some(Job {
                producer: 0,
                seq: 1
            })
        );

        let ending = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.pop_async().await }
        });
        queue
            .push(Job {
                producer: 0,
                seq: 2,
            })
            .unwrap();
        queue.close();
        // The message pushed before the close is still delivered, then the end.
        let first = tokio::time::timeout(HANG, ending).await.unwrap().unwrap();
        assert_eq!(
            first,
            Some(Job {
                producer: 0,
                seq: 2
            })
        );
        assert_eq!(queue.pop_async().await, None);
    });
}

#[test]
fn push_async_waits_for_room_and_hands_back_on_close() {
    runtime().block_on(async {
        let queue = Arc::new(JobQueue::new().unwrap());
        for seq in 0..4 {
            queue.push(Job { producer: 0, seq }).unwrap();
        }
        assert!(matches!(
            queue.push(Job {
                producer: 0,
                seq: 4
            }),
            Err(PushError::Full(_))
        ));
        let pushing = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                queue
                    .push_async(Job {
                        producer: 0,
                        seq: 4,
                    })
                    .await
            }
        });
        tokio::task::yield_now().await;
        assert_eq!(
            queue.pop(),
            Some(Job {
                producer: 0,
                seq: 0
            })
        );
        tokio::time::timeout(HANG, pushing)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let order: Vec<u32> = queue.drain().into_iter().map(|job| job.seq).collect();
        assert_eq!(order, vec![1, 2, 3, 4]);

        for seq in 0..4 {
            queue.push(Job { producer: 1, seq }).unwrap();
        }
        let blocked = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                queue
                    .push_async(Job {
                        producer: 1,
                        seq: 9,
                    })
                    .await
            }
        });
        tokio::task::yield_now().await;
        queue.close();
        let refused = tokio::time::timeout(HANG, blocked).await.unwrap().unwrap();
        assert_eq!(
            refused,
            Err(PushError::Closed(Job {
                producer: 1,
                seq: 9
            }))
        );
    });
}

#[test]
fn push_async_returns_other_refusals_at_once() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        queue.close();
        assert_eq!(
            queue
                .push_async(Job {
                    producer: 0,
                    seq: 0
                })
                .await,
            Err(PushError::Closed(Job {
                producer: 0,
                seq: 0
            }))
        );
    });
}

#[test]
fn pop_async_timeout_times_out_returns_queued_messages_and_reports_close() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        assert_eq!(
            queue.pop_async_timeout(Duration::from_millis(5)).await,
            Err(PopError::Timeout)
        );
        queue
            .push(Job {
                producer: 0,
                seq: 0,
            })
            .unwrap();
        // A queued message is returned even with a zero timeout.
        assert_eq!(
            queue.pop_async_timeout(Duration::ZERO).await,
            Ok(Job {
                producer: 0,
                seq: 0
            })
        );
        queue.close();
        assert_eq!(
            queue.pop_async_timeout(Duration::from_secs(5)).await,
            Err(PopError::Closed)
        );
    });
}

#[test]
fn a_timed_out_pop_async_timeout_that_is_kept_takes_no_wake_up() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        // Completed but kept (a future held in a struct or pinned in a loop): it must no
        // longer count as waiting.
        let mut timed_out = pin!(queue.pop_async_timeout(Duration::from_millis(1)));
        assert_eq!(timed_out.as_mut().await, Err(PopError::Timeout));

        let (count, waker) = counting();
        let mut waiting = pin!(queue.pop_async());
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        queue
            .push(Job {
                producer: 0,
                seq: 1,
            })
            .unwrap();
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the push woke the task that still waits"
        );
        assert_eq!(
            waiting.as_mut().poll(&mut Context::from_waker(&waker)),
            Poll::Ready(Some(Job {
                producer: 0,
                seq: 1
            }))
        );
    });
}

#[test]
fn a_dropped_pop_async_loses_no_message_and_passes_its_wake_up_on() {
    let queue = JobQueue::new().unwrap();
    let (first_count, first_waker) = counting();
    let (second_count, second_waker) = counting();
    let mut first = Box::pin(queue.pop_async());
    let mut second = Box::pin(queue.pop_async());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());

    queue
        .push(Job {
            producer: 0,
            seq: 7,
        })
        .unwrap();
    assert_eq!(
        first_count.0.load(Ordering::SeqCst),
        1,
        "one push, one wake-up"
    );
    assert_eq!(second_count.0.load(Ordering::SeqCst), 0);

    // The woken waiter is cancelled before it runs: its wake-up goes to the other one, and
    // the message is still queued for it.
    drop(first);
    assert_eq!(second_count.0.load(Ordering::SeqCst), 1);
    assert_eq!(queue.len(), 1);
    match second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
    {
        Poll::Ready(popped) => assert_eq!(
            popped,
            Some(Job {
                producer: 0,
                seq: 7
            })
        ),
        Poll::Pending => panic!("the second waiter was woken but found nothing"),
    }
}

#[test]
fn a_pop_async_cancelled_at_any_point_loses_no_message() {
    // Consumers give up on `pop_async` after a random short time, over and over, while
    // producers push: whatever the cancellations hit, every message is popped exactly once.
    runtime().block_on(async {
        let queue = Arc::new(
            FreeJobQueue::builder()
                .max_capacity(1 << 20)
                .build()
                .unwrap(),
        );
        const PRODUCERS: u32 = 2;
        const PER_PRODUCER: u32 = 5_000;
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    for seq in 0..PER_PRODUCER {
                        queue.push(FreeJob { producer, seq }).unwrap();
                        if seq % 64 == 0 {
                            std::thread::sleep(Duration::from_micros(50));
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3u64)
            .map(|consumer| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    let mut round = consumer;
                    loop {
                        round = round.wrapping_mul(6364136223846793005).wrapping_add(1);
                        let patience = Duration::from_micros(round % 200);
                        match tokio::time::timeout(patience, queue.pop_async()).await {
                            Ok(Some(job)) => got.push(job),
                            Ok(None) => return got,
                            Err(_) => continue, // cancelled while waiting
                        }
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        queue.close();
        let mut seen: HashMap<u32, Vec<u32>> = HashMap::new();
        for consumer in consumers {
            let got = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
            // One consumer sees each producer's messages in push order.
            let mut last: HashMap<u32, u32> = HashMap::new();
            for job in got {
                if let Some(previous) = last.insert(job.producer, job.seq) {
                    assert!(previous < job.seq, "reordered within one consumer");
                }
                seen.entry(job.producer).or_default().push(job.seq);
            }
        }
        for producer in 0..PRODUCERS {
            let mut seqs = seen.remove(&producer).unwrap_or_default();
            seqs.sort_unstable();
            assert_eq!(
                seqs,
                (0..PER_PRODUCER).collect::<Vec<_>>(),
                "producer {producer}"
            );
        }
    });
}

/// Producers on threads, consumers on tasks awaiting `pop_async`, and a queue whose maximum
/// is tiny so producers also await `push_async`: every message arrives once, each
/// producer's in order (per consumer), and nobody hangs.
macro_rules! wake_up_stress {
    ($name:ident, $queue:ty, $make:expr, $message:expr) => {
        #[test]
        fn $name() {
            runtime().block_on(async {
                let queue: Arc<$queue> = Arc::new($make);
                const PRODUCERS: u32 = 2;
                const PER_PRODUCER: u32 = 4_000;
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|producer| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move {
                            for seq in 0..PER_PRODUCER {
                                let message = $message(producer, seq);
                                queue.push_async(message).await.unwrap();
                            }
                        })
                    })
                    .collect();
                let consumers: Vec<_> = (0..2)
                    .map(|_| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move {
                            let mut got = Vec::new();
                            while let Some(message) = queue.pop_async().await {
                                got.push((message.producer, message.seq));
                            }
                            got
                        })
                    })
                    .collect();
                for producer in producers {
                    tokio::time::timeout(HANG, producer)
                        .await
                        .expect("a producer hung: lost wake-up on the room side")
                        .unwrap();
                }
                queue.close();
                let mut all = Vec::new();
                for consumer in consumers {
                    let got = tokio::time::timeout(HANG, consumer)
                        .await
                        .expect("a consumer hung: lost wake-up on the message side")
                        .unwrap();
                    let mut last: HashMap<u32, u32> = HashMap::new();
                    for &(producer, seq) in &got {
                        if let Some(previous) = last.insert(producer, seq) {
                            assert!(previous < seq, "producer {producer} reordered");
                        }
                    }
                    all.extend(got);
                }
                all.sort_unstable();
                let expected: Vec<(u32, u32)> = (0..PRODUCERS)
                    .flat_map(|producer| (0..PER_PRODUCER).map(move |seq| (producer, seq)))
                    .collect();
                assert_eq!(all, expected);
            });
        }
    };
}

wake_up_stress!(
    locked_engine_wakes_every_waiter,
    JobQueue,
    JobQueue::new().unwrap(),
    |producer, seq| Job { producer, seq }
);
wake_up_stress!(
    lock_free_engine_wakes_every_waiter,
    FreeJobQueue,
    FreeJobQueue::new().unwrap(),
    |producer, seq| FreeJob { producer, seq }
);
wake_up_stress!(
    partitions_and_priorities_wake_every_waiter,
    KeyedQueue,
    KeyedQueue::new().unwrap(),
    |producer, seq: u32| Keyed {
        producer,
        seq,
        // One level per producer: a producer's messages stay in one lane, in order.
        level: if producer % 2 == 0 {
            Level::Low
        } else {
            Level::High
        },
    }
);

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

#[test]
fn stream_yields_in_order_and_ends_at_close() {
    runtime().block_on(async {
        let queue = Arc::new(JobQueue::builder().max_capacity(1024).build().unwrap());
        let collecting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.stream().map(|job| job.seq).collect::<Vec<_>>().await }
        });
        for seq in 0..100 {
            queue.push_async(Job { producer: 0, seq }).await.unwrap();
            if seq % 10 == 0 {
                tokio::task::yield_now().await;
            }
        }
        queue.close();
        let seqs = tokio::time::timeout(HANG, collecting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seqs, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn sink_applies_backpressure_and_keeps_order() {
    runtime().block_on(async {
        // At most 4 queued: the sink waits for the slow consumer instead of failing.
        let queue = Arc::new(JobQueue::new().unwrap());
        let consumer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                let mut seqs = Vec::new();
                let mut most_queued = 0;
                while let Some(job) = queue.pop_async().await {
                    most_queued = most_queued.max(queue.len());
                    seqs.push(job.seq);
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                (seqs, most_queued)
            }
        });
        let mut sink = queue.sink();
        let mut jobs = futures::stream::iter((0..200).map(|seq| Ok(Job { producer: 0, seq })));
        tokio::time::timeout(HANG, sink.send_all(&mut jobs))
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(HANG, sink.close())
            .await
            .unwrap()
            .unwrap();
        assert!(!queue.is_closed(), "closing the sink leaves the queue open");
        queue.close();
        let (seqs, most_queued) = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
        assert_eq!(seqs, (0..200).collect::<Vec<_>>());
        assert!(
            most_queued <= 4,
            "the queue never held more than its maximum"
        );
        assert!(
            most_queued >= 3,
            "the sink kept the queue filled while the consumer was slow"
        );
    });
}

#[test]
fn sink_hands_the_message_back_when_the_queue_closes() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        queue.close();
        let mut sink = queue.sink();
        let refused = sink
            .send(Job {
                producer: 0,
                seq: 3,
            })
            .await;
        assert_eq!(
            refused,
            Err(PushError::Closed(Job {
                producer: 0,
                seq: 3
            }))
        );
    });
}

#[test]
fn async_calls_need_no_tokio_runtime_to_wait() {
    // `push_async`, `pop_async`, `stream` and `sink` use no tokio timer: any executor runs
    // them (here futures' own).
    let queue = Arc::new(JobQueue::new().unwrap());
    let producer = std::thread::spawn({
        let queue = Arc::clone(&queue);
        move || {
            futures::executor::block_on(async {
                for seq in 0..50 {
                    queue.push_async(Job { producer: 0, seq }).await.unwrap();
                }
            });
            queue.close();
        }
    });
    let seqs = futures::executor::block_on(queue.stream().map(|job| job.seq).collect::<Vec<_>>());
    producer.join().unwrap();
    assert_eq!(seqs, (0..50).collect::<Vec<_>>());
}

#[test]
fn a_pending_pop_async_is_woken_by_every_kind_of_push() {
    // push, push_timeout, push_batch: each wakes a waiting task.
    let queue = JobQueue::builder().max_capacity(64).build().unwrap();
    let pushes: [&dyn Fn(&JobQueue); 3] = [
        &|queue| {
            queue
                .push(Job {
                    producer: 0,
                    seq: 0,
                })
                .unwrap()
        },
        &|queue| {
            queue
                .push_timeout(
                    Job {
                        producer: 0,
                        seq: 0,
                    },
                    Duration::from_millis(1),
                )
                .unwrap()
        },
        &|queue| {
            queue
                .push_batch([Job {
                    producer: 0,
                    seq: 0,
                }])
                .unwrap()
        },
    ];
    for push in pushes {
        let (count, waker) = counting();
        let mut pop = pin!(queue.pop_async());
        assert!(pop
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        push(&queue);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(pop
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
    }
}

#[test]
fn a_pending_push_async_is_woken_by_every_kind_of_pop() {
    let queue = JobQueue::new().unwrap();
    let pops: [&dyn Fn(&JobQueue); 5] = [
        &|queue| assert!(queue.pop().is_some()),
        &|queue| assert_eq!(queue.pop_batch(1).len(), 1),
        &|queue| assert!(queue.pop_timeout(Duration::from_millis(1)).is_ok()),
        &|queue| assert_eq!(queue.drain().len(), 4),
        &|queue| queue.clear(),
    ];
    for pop in pops {
        while queue.len() < 4 {
            queue
                .push(Job {
                    producer: 0,
                    seq: 0,
                })
                .unwrap();
        }
        let (count, waker) = counting();
        let mut push = pin!(queue.push_async(Job {
            producer: 0,
            seq: 1
        }));
        assert!(push
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        pop(&queue);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(push
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
    }
}
