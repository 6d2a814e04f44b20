//! What the threaded benches share: N producers and M consumers moving `MESSAGES` values
//! through a queue, timed from the first spawn to the last join, with a check that every
//! message arrived exactly once.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

/// Messages per iteration of the multi-threaded groups.
pub const MESSAGES: u64 = 100_000;
/// A consumer that has seen nothing for this long has lost messages; failing beats hanging.
const STALL_LIMIT: Duration = Duration::from_secs(60);

pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Splits `0..MESSAGES` into `parts` contiguous ranges, so the values received sum to a
/// known total whatever the interleaving.
fn split(parts: u64) -> impl Iterator<Item = Range<u64>> {
    (0..parts).map(move |p| p * MESSAGES / parts..(p + 1) * MESSAGES / parts)
}

fn produce(push: &impl Fn(u64) -> Result<(), u64>, values: Range<u64>) {
    for mut value in values {
        while let Err(back) = push(value) {
            value = back;
            // Only two cores: spinning without yielding can starve the consumer we wait on.
            thread::yield_now();
        }
    }
}

/// Pops until `MESSAGES` have been received in total, counted in `shared` when consumers
/// share the work or locally when there is only one; returns the sum of what it popped.
fn consume(mut pop: impl FnMut() -> Option<u64>, shared: Option<&AtomicU64>) -> u64 {
    let (mut sum, mut local) = (0, 0);
    let mut idle_since: Option<Instant> = None;
    let mut idle_spins = 0u32;
    loop {
        let received = match shared {
            Some(count) => count.load(Ordering::Relaxed),
            None => local,
        };
        if received >= MESSAGES {
            return sum;
        }
        match pop() {
            Some(value) => {
                sum += value;
                match shared {
                    Some(count) => _ = count.fetch_add(1, Ordering::Relaxed),
                    None => local += 1,
                }
                idle_since = None;
            }
            None => {
                // Reading the clock only every 1024 empty polls keeps the watchdog cheap.
                idle_spins = idle_spins.wrapping_add(1);
                if idle_spins.is_multiple_of(1024) {
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    assert!(
                        since.elapsed() < STALL_LIMIT,
                        "no message for {STALL_LIMIT:?} with {received} of {MESSAGES} received"
                    );
                }
                thread::yield_now();
            }
        }
    }
}

/// Runs `producers` threads that push `MESSAGES` between them and one thread per consumer
/// closure; returns the wall time from the first spawn to the last join. Each consumer
/// closure is moved into its own thread, so a single-consumer receiver (`mpsc`) fits too.
pub fn contend<P, C>(producers: u64, push: P, consumers: Vec<C>) -> Duration
where
    P: Fn(u64) -> Result<(), u64> + Sync,
    C: FnMut() -> Option<u64> + Send,
{
    let received = AtomicU64::new(0);
    let shared = (consumers.len() > 1).then_some(&received);
    let start = Instant::now();
    let sum: u64 = thread::scope(|s| {
        for values in split(producers) {
            let push = &push;
            s.spawn(move || produce(push, values));
        }
        let consumers: Vec<_> = consumers
            .into_iter()
            .map(|pop| s.spawn(move || consume(pop, shared)))
            .collect();
        consumers
            .into_iter()
            .map(|c| c.join().expect("a consumer panicked"))
            .sum()
    });
    let elapsed = start.elapsed();
    assert_eq!(
        sum,
        MESSAGES * (MESSAGES - 1) / 2,
        "messages lost or duplicated"
    );
    elapsed
}

/// Times `once`, which builds a fresh queue and returns the time its `contend` took, so
/// every iteration starts from an empty queue at its initial capacity.
pub fn bench_threaded(group: &mut Group, name: &str, mut once: impl FnMut() -> Duration) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| (0..iters).map(|_| once()).sum())
    });
}

pub fn threaded_group<'a>(c: &'a mut Criterion, name: &str) -> Group<'a> {
    let mut group = c.benchmark_group(name);
    // An iteration takes milliseconds, so flat sampling with few samples keeps each contender
    // within its measurement time instead of criterion stretching it.
    group
        .throughput(Throughput::Elements(MESSAGES))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat);
    group
}

/// Modest defaults so a whole suite stays within a few minutes on a small machine; the command
/// line (`--warm-up-time`, `--measurement-time`) still overrides them.
pub fn criterion_config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}
