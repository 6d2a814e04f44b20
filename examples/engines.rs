//! The two elastic engines side by side, on the load they are built for: bursts of telemetry
//! from several producers into a queue that starts small, grows while the burst lasts, and
//! shrinks back once consumers have drained it, without losing or reordering a message.
//!
//! The queues are generated: `#[derive(ElasticQueue)]` on `Sample` declares `SampleQueue` on
//! the lock-free engine, and `#[elasticq::queue]` declares `LockedSamples`, a second queue
//! for the same message on the locked engine.
//!
//! Run it with `cargo run --release --example engines`.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use elasticq::{ElasticQueue, PopError, PushError, Stats};

const PRODUCERS: u32 = 4;
const CONSUMERS: usize = 2;
const PER_PRODUCER: u32 = 250_000;

/// One telemetry sample: which sensor sent it and its sequence number at that sensor.
#[derive(ElasticQueue, Debug, Clone, Copy, PartialEq)]
#[elastic_queue(
    engine = lock_free,
    capacity(initial = 1024, min = 1024, max = 4_194_304),
    growth_factor = 2.0,
    shrink_threshold = 0.25
)]
struct Sample {
    sensor: u32,
    seq: u32,
}

/// The same message on the locked engine, declared once more with its own settings.
#[elasticq::queue(
    message = Sample,
    engine = locked,
    capacity(initial = 1024, min = 1024, max = 4_194_304)
)]
struct LockedSamples;

/// What `run` needs of a queue, so that one function drives both generated types.
trait SampleSink: Send + Sync + 'static {
    fn push(&self, sample: Sample) -> Result<(), PushError<Sample>>;
    fn pop_batch(&self, max: usize) -> Vec<Sample>;
    fn pop_timeout(&self, timeout: Duration) -> Result<Sample, PopError>;
    fn close(&self);
    fn len(&self) -> usize;
    fn capacity(&self) -> usize;
    fn stats(&self) -> Stats;
}

macro_rules! sample_sink {
    ($queue:ty) => {
        impl SampleSink for $queue {
            fn push(&self, sample: Sample) -> Result<(), PushError<Sample>> {
                <$queue>::push(self, sample)
            }
            fn pop_batch(&self, max: usize) -> Vec<Sample> {
                <$queue>::pop_batch(self, max)
            }
            fn pop_timeout(&self, timeout: Duration) -> Result<Sample, PopError> {
                <$queue>::pop_timeout(self, timeout)
            }
            fn close(&self) {
                <$queue>::close(self)
            }
            fn len(&self) -> usize {
                <$queue>::len(self)
            }
            fn capacity(&self) -> usize {
                <$queue>::capacity(self)
            }
            fn stats(&self) -> Stats {
                <$queue>::stats(self)
            }
        }
    };
}
sample_sink!(SampleQueue);
sample_sink!(LockedSamples);

/// Producers push a burst with no consumer running, so the queue has to grow; then consumers
/// drain it while a second burst arrives. Checks that every sensor's samples arrive complete
/// and in order.
fn run<Q: SampleSink>(name: &str, queue: Q) {
    let queue = Arc::new(queue);
    let start = Instant::now();

    // Burst 1: nobody consumes yet. The queue grows from 1024 instead of refusing pushes.
    spawn_producers(&queue, 0..PER_PRODUCER / 2);
    let peak = queue.capacity();
    let queued = queue.len();

    // Burst 2 races the consumers.
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || consume(&*queue))
        })
        .collect();
    spawn_producers(&queue, PER_PRODUCER / 2..PER_PRODUCER);
    queue.close(); // consumers finish what is queued, then see `PopError::Closed`

    let mut received = 0;
    for consumer in consumers {
        received += consumer.join().expect("a consumer panicked");
    }
    let elapsed = start.elapsed();
    let stats = queue.stats();
    let total = u64::from(PRODUCERS * PER_PRODUCER);
    assert_eq!(received, total, "every sample arrives exactly once");
    assert_eq!((stats.enqueued, stats.dequeued), (total, total));

    println!(
        "{name:<14} {total} samples in {:>7.1} ms ({:>5.1} M/s); grew to {peak} slots holding \
         {queued} with no consumer, {} resizes, back to {} slots after draining",
        elapsed.as_secs_f64() * 1e3,
        total as f64 / elapsed.as_secs_f64() / 1e6,
        stats.resizes,
        queue.capacity(),
    );
}

fn spawn_producers<Q: SampleSink>(queue: &Arc<Q>, seqs: std::ops::Range<u32>) {
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|sensor| {
            let queue = Arc::clone(queue);
            let seqs = seqs.clone();
            thread::spawn(move || {
                for seq in seqs {
                    // Far below max_capacity: a push never fails here.
                    if let Err(error) = queue.push(Sample { sensor, seq }) {
                        panic!("push failed: {error}");
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().expect("a producer panicked");
    }
}

/// Pops until the queue is closed and empty; checks each sensor's order. Returns the count.
fn consume<Q: SampleSink>(queue: &Q) -> u64 {
    let mut next_seq = vec![None::<u32>; PRODUCERS as usize];
    let mut received = 0;
    loop {
        let batch = queue.pop_batch(256);
        if batch.is_empty() {
            match queue.pop_timeout(Duration::from_millis(50)) {
                Ok(sample) => check_order(&mut next_seq, sample),
                Err(PopError::Timeout) => continue,
                Err(PopError::Closed) => return received,
            }
            received += 1;
            continue;
        }
        received += batch.len() as u64;
        for sample in batch {
            check_order(&mut next_seq, sample);
        }
    }
}

fn check_order(last: &mut [Option<u32>], sample: Sample) {
    let last = &mut last[sample.sensor as usize];
    assert!(
        *last < Some(sample.seq),
        "sensor {} reordered",
        sample.sensor
    );
    *last = Some(sample.seq);
}

fn main() -> Result<(), elasticq::Error> {
    println!(
        "{PRODUCERS} producers x {PER_PRODUCER} samples, {CONSUMERS} consumers, initial capacity 1024\n"
    );
    run("SampleQueue", SampleQueue::new()?);
    run("LockedSamples", LockedSamples::new()?);

    // At its maximum a queue refuses a push and hands the message back rather than drop it.
    let bounded = SampleQueue::builder()
        .initial_capacity(2)
        .min_capacity(2)
        .max_capacity(2)
        .build()?;
    let [a, b, c] = [0, 1, 2].map(|seq| Sample { sensor: 9, seq });
    bounded.push_batch([a, b]).expect("room for two");
    match bounded.push(c) {
        Err(PushError::Full(message)) => println!("\nat max_capacity: {message:?} handed back"),
        other => panic!("expected Full, got {other:?}"),
    }

    // A bad run-time setting is an error naming the field, not a panic.
    if let Err(error) = SampleQueue::builder().growth_factor(0.5).build() {
        println!("builder refused: {error}");
    }
    Ok(())
}
