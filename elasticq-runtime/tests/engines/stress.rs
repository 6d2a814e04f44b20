//! Threaded stress tests of both engines: 1 to 8 producers and 1 to 4 consumers on a queue
//! that keeps growing and shrinking (or is held at a small maximum), checking per-producer
//! FIFO, that nothing is lost or duplicated, and that the `Stats` counters add up.
//!
//! Every wait in here is bounded by the library's own progress: consumers sleep in
//! `pop_timeout` and leave only on `PopError::Closed`, and the main thread closes the queue
//! once the producers are done (or as soon as a consumer dies, so that producers retrying on
//! `Full` cannot wait forever).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use elasticq_runtime::{Config, Engine, LockFreeQueue, LockedQueue, PopError, PushError, Stats};

/// (producer id, sequence number within that producer).
type Msg = (u32, u32);

/// (producers, consumers).
const COMBOS: [(u32, usize); 8] = [
    (1, 1),
    (2, 1),
    (4, 1),
    (8, 1),
    (1, 2),
    (2, 2),
    (4, 4),
    (8, 4),
];

/// Messages per combo; debug builds are an order of magnitude slower, and the suite also runs
/// in debug under `cargo test --workspace`.
const MESSAGES: u32 = if cfg!(debug_assertions) {
    100_000
} else {
    300_000
};

/// How long a consumer sleeps in `pop_timeout` before trying again.
const POP_WAIT: Duration = Duration::from_millis(100);

/// How often the main thread looks at the queue while the threads run.
const POLL: Duration = Duration::from_micros(200);

/// How long a bursty producer pauses between bursts: long enough for consumers to drain
/// the queue, so that it shrinks before the next burst grows it again.
const PAUSE: Duration = Duration::from_micros(100);

/// Queues that start small with a small minimum and a far-away maximum, so they grow and
/// shrink all the time and never refuse a push.
fn elastic() -> Config {
    Config::new()
        .initial_capacity(16)
        .min_capacity(4)
        .max_capacity(1 << 20)
        .growth_factor(2.0)
        .shrink_threshold(0.25)
}

/// Queues that reach their maximum at once, so producers keep meeting `Full`.
fn bounded() -> Config {
    Config::new()
        .initial_capacity(4)
        .min_capacity(2)
        .max_capacity(64)
        .growth_factor(2.0)
        .shrink_threshold(0.25)
}

/// What must have happened before consumers start: starting them late guarantees the
/// behaviour under test is exercised whatever the scheduler does.
#[derive(Clone, Copy, Debug)]
enum Until {
    /// The queue has grown at least once.
    Grown,
    /// A producer has been refused with `Full` at least once.
    Refused,
}

impl Until {
    fn reached(self, stats: &Stats) -> bool {
        match self {
            Until::Grown => stats.resizes > 0,
            Until::Refused => stats.rejected > 0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Scenario {
    producers: u32,
    consumers: usize,
    config: Config,
    start_consumers: Until,
    /// Producers pause after this many messages.
    burst: Option<u32>,
}

/// What a producer did.
struct Produced {
    pushed: u32,
    /// Messages handed back with `Full` (each retried), as `Stats::rejected` counts them.
    refused: u64,
}

/// Pushes `producer`'s messages in order, retrying each refusal until it goes in. Even
/// producers retry with `yield_now`, odd ones with `push_timeout`, so both the spinning and
/// the sleeping path meet consumers; every fourth chunk goes in as one batch.
fn produce<E: Engine<Msg>>(queue: &E, producer: u32, count: u32, burst: Option<u32>) -> Produced {
    let mut produced = Produced {
        pushed: 0,
        refused: 0,
    };
    let sleepy = producer % 2 == 1;
    let mut seq = 0;
    let mut chunk = 0;
    while seq < count {
        let len = if chunk % 4 == 3 {
            8.min(count - seq)
        } else {
            1
        };
        let mut pending: Vec<Msg> = (seq..seq + len).map(|s| (producer, s)).collect();
        let mut retry = false;
        while !pending.is_empty() {
            let result = if pending.len() > 1 {
                queue.push_batch(pending)
            } else if sleepy && retry {
                let value = pending.pop().expect("one pending message");
                queue
                    .push_timeout(value, Duration::from_millis(10))
                    .map_err(|err| err.map(|value| vec![value]))
            } else {
                let value = pending.pop().expect("one pending message");
                queue
                    .push(value)
                    .map_err(|err| err.map(|value| vec![value]))
            };
            pending = match result {
                Ok(()) => Vec::new(),
                Err(PushError::Full(rest)) => {
                    produced.refused += rest.len() as u64;
                    retry = true;
                    if !sleepy {
                        thread::yield_now();
                    }
                    rest
                }
                // Only closed early when a consumer died: stop and let the checks report.
                Err(PushError::Closed(rest)) => {
                    produced.pushed += len - rest.len() as u32;
                    return produced;
                }
                Err(other) => panic!("a plain engine never refuses with {other:?}"),
            };
        }
        if burst.is_some_and(|burst| (seq + len) / burst > seq / burst) {
            thread::sleep(PAUSE);
        }
        produced.pushed += len;
        seq += len;
        chunk += 1;
    }
    produced
}

/// Pops until the queue is closed and empty, rotating through `pop`, `pop_batch` and
/// `pop_timeout`; when a non-blocking pop finds nothing it sleeps in `pop_timeout` instead of
/// spinning.
fn consume<E: Engine<Msg>>(queue: &E, consumer: usize) -> Vec<Msg> {
    let mut received = Vec::new();
    let mut round = consumer;
    loop {
        let before = received.len();
        match round % 3 {
            0 => received.extend(queue.pop()),
            1 => received.extend(queue.pop_batch(1 + round % 16)),
            _ => {}
        }
        round += 1;
        if received.len() > before {
            continue;
        }
        match queue.pop_timeout(POP_WAIT) {
            Ok(msg) => received.push(msg),
            Err(PopError::Timeout) => {}
            Err(PopError::Closed) => return received,
        }
    }
}

/// Checks snapshots taken while threads run. `Stats` promises that each field "is a value
/// it held during the call", so the counters never go back and `len` and `capacity` never
/// exceed the maximum. Violations are counted rather than raised at once, so that a run
/// still reaches its delivery checks.
struct Sampler {
    max: usize,
    last: Stats,
    samples: u64,
    violations: u64,
    first: Option<String>,
}

impl Sampler {
    fn new(config: Config) -> Self {
        Self {
            max: config.get_max_capacity(),
            last: Stats::default(),
            samples: 0,
            violations: 0,
            first: None,
        }
    }

    fn record(&mut self, stats: &Stats) {
        let last = std::mem::replace(&mut self.last, stats.clone());
        self.samples += 1;
        let violation = if stats.enqueued < last.enqueued || stats.dequeued < last.dequeued {
            format!("counters went back from {last:?} to {stats:?}")
        } else if stats.dequeued > stats.enqueued {
            format!("more dequeued than enqueued: {stats:?}")
        } else if stats.len > self.max || stats.capacity > self.max {
            format!("beyond max_capacity {}: {stats:?}", self.max)
        } else {
            return;
        };
        self.violations += 1;
        self.first.get_or_insert(violation);
    }

    fn assert_clean(&self, label: &str) {
        if let Some(first) = &self.first {
            panic!(
                "{label}: {} of {} stats snapshots held values the queue never held; the \
                 first: {first}",
                self.violations, self.samples
            );
        }
    }
}

fn all_finished<R>(handles: &[JoinHandle<R>]) -> bool {
    handles.iter().all(JoinHandle::is_finished)
}

fn join_all<R>(handles: Vec<JoinHandle<R>>, label: &str) -> Vec<R> {
    handles
        .into_iter()
        .map(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| panic!("{label}: a thread panicked"))
        })
        .collect()
}

fn run<E>(scenario: Scenario)
where
    E: Engine<Msg> + Send + Sync + 'static,
{
    let label = format!("{} {scenario:?}", std::any::type_name::<E>());
    let per_producer = MESSAGES / scenario.producers;
    let queue = Arc::new(E::with_config(scenario.config).expect("valid config"));
    let producers: Vec<_> = (0..scenario.producers)
        .map(|producer| {
            let queue = Arc::clone(&queue);
            let burst = scenario.burst;
            thread::spawn(move || produce(&*queue, producer, per_producer, burst))
        })
        .collect();

    while !scenario.start_consumers.reached(&queue.stats()) && !all_finished(&producers) {
        thread::sleep(POLL);
    }
    let consumers: Vec<_> = (0..scenario.consumers)
        .map(|consumer| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || consume(&*queue, consumer))
        })
        .collect();

    let mut sampler = Sampler::new(scenario.config);
    while !all_finished(&producers) {
        sampler.record(&queue.stats());
        if consumers.iter().any(JoinHandle::is_finished) {
            // A consumer left before the close: it died. Closing makes the producers stop
            // instead of retrying forever on a full queue.
            queue.close();
        }
        thread::sleep(POLL);
    }
    let produced = join_all(producers, &label);
    queue.close();
    let received = join_all(consumers, &label);

    for (producer, report) in produced.iter().enumerate() {
        assert_eq!(
            report.pushed, per_producer,
            "{label}: producer {producer} was stopped early (a consumer died)"
        );
    }
    check_delivery(&received, scenario.producers, per_producer, &label);

    let total = u64::from(per_producer) * u64::from(scenario.producers);
    let refused: u64 = produced.iter().map(|report| report.refused).sum();
    let stats = queue.stats();
    sampler.record(&stats);
    assert_eq!(
        (stats.enqueued, stats.dequeued, stats.len, stats.rejected),
        (total, total, 0, refused),
        "{label}: (enqueued, dequeued, len, rejected)"
    );
    match scenario.start_consumers {
        Until::Grown => assert_eq!(refused, 0, "{label}: refused below max_capacity"),
        Until::Refused => assert!(refused > 0, "{label}: never refused at max_capacity"),
    }
    assert_eq!(queue.len(), 0, "{label}");
    assert!(queue.drain().is_empty(), "{label}");
    // Capacity freed by retired rings must all be given back, or later pushes would meet
    // `Full` early.
    assert_eq!(
        queue.capacity(),
        scenario.config.get_min_capacity(),
        "{label}: a drained queue is back at min_capacity"
    );
    sampler.assert_clean(&label);
}

/// Every consumer saw each producer's messages in push order, and together they saw each
/// message exactly once.
fn check_delivery(received: &[Vec<Msg>], producers: u32, per_producer: u32, label: &str) {
    let mut seen = vec![vec![false; per_producer as usize]; producers as usize];
    for (consumer, messages) in received.iter().enumerate() {
        let mut last: Vec<Option<u32>> = vec![None; producers as usize];
        for &(producer, seq) in messages {
            let (p, s) = (producer as usize, seq as usize);
            assert!(
                p < seen.len() && s < seen[p].len(),
                "{label}: consumer {consumer} got a message never sent: {:?}",
                (producer, seq)
            );
            assert!(
                last[p] < Some(seq),
                "{label}: consumer {consumer} got producer {producer}'s {seq} after {:?}",
                last[p]
            );
            last[p] = Some(seq);
            assert!(
                !seen[p][s],
                "{label}: {:?} delivered twice",
                (producer, seq)
            );
            seen[p][s] = true;
        }
    }
    for (producer, flags) in seen.iter().enumerate() {
        let lost = flags.iter().filter(|&&delivered| !delivered).count();
        let first = flags.iter().position(|&delivered| !delivered);
        assert_eq!(
            lost, 0,
            "{label}: producer {producer} lost {lost} messages, the first being {first:?}"
        );
    }
}

fn run_combos<E>(config: Config, start_consumers: Until, burst: Option<u32>)
where
    E: Engine<Msg> + Send + Sync + 'static,
{
    for (producers, consumers) in COMBOS {
        run::<E>(Scenario {
            producers,
            consumers,
            config,
            start_consumers,
            burst,
        });
    }
}

/// Bursts of a few hundred messages grow the queue well past its initial 16 slots.
fn run_elastic<E>()
where
    E: Engine<Msg> + Send + Sync + 'static,
{
    run_combos::<E>(elastic(), Until::Grown, Some(256));
}

/// No pauses: producers outrun consumers and keep the queue at its maximum.
fn run_bounded<E>()
where
    E: Engine<Msg> + Send + Sync + 'static,
{
    run_combos::<E>(bounded(), Until::Refused, None);
}

#[test]
fn locked_queue_grows_and_shrinks_under_contention() {
    run_elastic::<LockedQueue<Msg>>();
}

#[test]
fn lock_free_queue_grows_and_shrinks_under_contention() {
    run_elastic::<LockFreeQueue<Msg>>();
}

#[test]
fn locked_queue_at_its_maximum_refuses_and_recovers() {
    run_bounded::<LockedQueue<Msg>>();
}

#[test]
fn lock_free_queue_at_its_maximum_refuses_and_recovers() {
    run_bounded::<LockFreeQueue<Msg>>();
}

/// Maximums of 1, 2 and 3 with a shrink threshold of 0.5, so that nearly every push meets
/// `Full`, every ring is cut to the room left, and shrinks race producers at the maximum:
/// the sampler checks `len` and `capacity` against the maximum throughout.
fn tiny(max: usize) -> Config {
    Config::new()
        .initial_capacity(1)
        .min_capacity(1)
        .max_capacity(max)
        .growth_factor(2.0)
        .shrink_threshold(0.5)
}

fn run_tiny<E>()
where
    E: Engine<Msg> + Send + Sync + 'static,
{
    for max in 1..=3 {
        for (producers, consumers) in [(1, 1), (2, 2), (4, 2)] {
            run::<E>(Scenario {
                producers,
                consumers,
                config: tiny(max),
                start_consumers: Until::Refused,
                burst: None,
            });
        }
    }
}

#[test]
fn lock_free_queue_at_a_tiny_maximum_never_holds_more() {
    run_tiny::<LockFreeQueue<Msg>>();
}

#[test]
fn locked_queue_at_a_tiny_maximum_never_holds_more() {
    run_tiny::<LockedQueue<Msg>>();
}

/// How long `snapshots_under_churn` samples.
const CHURN: Duration = Duration::from_millis(500);

/// Two threads keep a queue at its maximum, each popping a message and pushing it back,
/// while this thread takes `stats` snapshots as fast as it can and checks each one.
fn snapshots_under_churn<E>()
where
    E: Engine<u64> + Send + Sync + 'static,
{
    const MAX: usize = 64;
    let config = Config::new()
        .initial_capacity(MAX)
        .min_capacity(MAX)
        .max_capacity(MAX);
    let queue = Arc::new(E::with_config(config).expect("valid config"));
    queue.push_batch(0..MAX as u64).expect("room for MAX");
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (queue, stop) = (Arc::clone(&queue), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some(mut value) = queue.pop() else {
                        continue;
                    };
                    // Another worker may hold the free slot for a moment.
                    while let Err(PushError::Full(back)) = queue.push(value) {
                        if stop.load(Ordering::Relaxed) {
                            // Never Full for long unless there is a bug, which the final
                            // length check then reports.
                            return;
                        }
                        value = back;
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let label = std::any::type_name::<E>();
    let mut sampler = Sampler::new(config);
    let start = Instant::now();
    while start.elapsed() < CHURN {
        sampler.record(&queue.stats());
    }
    stop.store(true, Ordering::Relaxed);
    join_all(workers, label);
    assert_eq!(
        queue.len(),
        MAX,
        "{label}: a message was lost or never pushed back"
    );
    sampler.assert_clean(label);
}

#[test]
fn locked_queue_stats_under_churn_hold_values_the_queue_held() {
    snapshots_under_churn::<LockedQueue<u64>>();
}

#[test]
fn lock_free_queue_stats_under_churn_hold_values_the_queue_held() {
    snapshots_under_churn::<LockFreeQueue<u64>>();
}

/// A producer with no consumer: every push must grow the queue rather than fail, and the
/// drain must give everything back in order.
fn lone_producer<E: Engine<u32>>() {
    const COUNT: u32 = 1_000_000;
    let queue = E::with_config(Config::new().initial_capacity(1024)).expect("valid config");
    for i in 0..COUNT {
        if let Err(err) = queue.push(i) {
            panic!(
                "push {i} of {COUNT} failed with {err:?}: {:?}",
                queue.stats()
            );
        }
    }
    let stats = queue.stats();
    assert_eq!(
        (stats.enqueued, stats.len),
        (u64::from(COUNT), COUNT as usize)
    );
    assert!(stats.capacity >= COUNT as usize, "{stats:?}");
    let drained = queue.drain();
    assert_eq!(drained.len(), COUNT as usize);
    if let Some(i) = (0..COUNT).position(|i| drained[i as usize] != i) {
        panic!("drain out of order at {i}: {}", drained[i]);
    }
    assert!(queue.is_empty());
    assert_eq!(queue.capacity(), Config::new().get_min_capacity());
}

#[test]
fn lock_free_queue_takes_a_million_pushes_without_a_consumer() {
    lone_producer::<LockFreeQueue<u32>>();
}

#[test]
fn locked_queue_takes_a_million_pushes_without_a_consumer() {
    lone_producer::<LockedQueue<u32>>();
}
