//! A telemetry batch exporter on the processor (PartitionedBuffer's processing cycle).
//!
//! Six services emit metrics into a queue of four partitions, keyed by service, so each
//! service's metrics stay in one partition and in order. The processor runs one worker per
//! partition that hands batches to an exporter, which "sends" them to a collector (a 1 ms
//! round trip) and is not reliable: every 7th call fails with a transient error, one call
//! panics, and one batch holds a metric the collector always rejects. Retries with backoff
//! recover the transient failures and the panic; the poison batch (with the healthy metrics
//! that share it) ends in the dead-letter callback once its retries are spent. The queue is bounded per partition, so while the
//! processor runs on a long interval the producers fill it and wait in `push_async`; midway,
//! `update_options` shortens the interval on the running workers. Once the producers are
//! done, `shutdown` exports what is left.
//!
//! The example then checks that every metric was exported exactly once or dead-lettered,
//! that each service's metrics were exported in the order they were emitted, and that the
//! processor's counters agree with what the exporter saw; it exits non-zero if one does not.
//!
//! Run it with `cargo run --release --example batch_exporter`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use elasticq::{Cause, ElasticQueue, Failure, ProcessorError, ProcessorOptions, PushError};

/// Routed by `stable_hash` of the name: two partitions take two services each, two take one.
const SERVICES: [&str; 6] = [
    "gateway",
    "checkout",
    "payments",
    "inventory",
    "search",
    "catalog",
];
const NAMES: [&str; 5] = [
    "http.requests",
    "http.latency_ms",
    "cpu.util",
    "mem.rss_mb",
    "gc.pause_ms",
];
const PER_SERVICE: u64 = 50_000;
const TOTAL: u64 = PER_SERVICE * SERVICES.len() as u64;
/// A service emits this many metrics per scrape, then waits a millisecond for the next one.
const SCRAPE: u64 = 100;
const BATCH_SIZE: usize = 500;
const RETRIES: u32 = 3;
const SLOW_INTERVAL: Duration = Duration::from_millis(250);
const FAST_INTERVAL: Duration = Duration::from_millis(10);
/// The metric the collector always rejects, and the one service that emits it once.
const POISON: &str = "poison";
const POISON_AT: (&str, u64) = ("payments", PER_SERVICE / 4);
/// The exporter call that panics (if that batch may still fail; see `Collector::may_fail`).
const PANIC_FROM_CALL: u64 = 40;
const SIMULATED_PANIC: &str = "simulated: collector client panicked";

/// One observation of one service.
#[derive(ElasticQueue, Clone, Debug)]
#[elastic_queue(partitions = 4, capacity(initial = 1024, max = 8_192))]
struct Metric {
    #[elastic_queue(partition_key)]
    service: String,
    name: String,
    value: f64,
    /// The metric's number at its service, from 0: identifies it, and gives the order.
    seq: u64,
    /// When it was observed, for the latency from observation to export.
    at: Instant,
}

/// Why the collector refused a batch.
#[derive(Debug)]
enum ExportError {
    /// A transient failure (a timeout, a 503): trying again later works.
    Unavailable,
    /// The collector refuses this batch whatever happens (it holds a metric it cannot parse).
    Rejected { metric: String, seq: u64 },
}

/// What arrived at the simulated collector, and what the exporter made fail.
#[derive(Default)]
struct Ledger {
    /// (service, seq) of every metric the collector accepted.
    exported: HashSet<(String, u64)>,
    duplicates: u64,
    /// Per service, the seq of the last metric accepted.
    last_seq: HashMap<String, u64>,
    reordered: u64,
    /// Batches accepted.
    batches: u64,
    /// The sum of the values accepted or dead-lettered (halves: exact in an f64).
    value_sum: f64,
    /// Per batch (named by its first metric), the failures injected into it so far.
    injected: HashMap<(String, u64), u32>,
    transient_errors: u64,
    panics: u64,
    rejections: u64,
    /// (service, seq) of every metric the dead-letter callback received.
    dead_lettered: HashSet<(String, u64)>,
    dead_batches: Vec<DeadBatch>,
    /// Observation-to-export latency, before and after the interval changed.
    latency: [Latency; 2],
}

struct DeadBatch {
    size: usize,
    partition: usize,
    attempts: u32,
    cause: String,
    holds_poison: bool,
}

#[derive(Default)]
struct Latency {
    count: u64,
    total: Duration,
    max: Duration,
}

impl Latency {
    fn add(&mut self, latency: Duration) {
        self.count += 1;
        self.total += latency;
        self.max = self.max.max(latency);
    }

    fn mean(&self) -> Duration {
        let count = u32::try_from(self.count.max(1)).unwrap_or(u32::MAX);
        self.total / count
    }
}

struct Collector {
    calls: AtomicU64,
    panicked: AtomicBool,
    /// When the interval was shortened: metrics observed after it count as the fast phase.
    switched_at: OnceLock<Instant>,
    ledger: Mutex<Ledger>,
}

impl Collector {
    fn new() -> Self {
        Self {
            calls: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
            switched_at: OnceLock::new(),
            ledger: Mutex::new(Ledger::default()),
        }
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // The simulated panic never happens while the ledger is held; recover anyway so a
        // real bug shows up as a failed check rather than a second panic.
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `batch` to the collector: `Ok` once the collector accepted all of it.
    async fn export(&self, batch: &[Metric]) -> Result<(), ExportError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        // The round trip. Failures are decided after it, as a real network would report them.
        tokio::time::sleep(Duration::from_millis(1)).await;

        if let Some(bad) = batch.iter().find(|metric| metric.name == POISON) {
            self.ledger().rejections += 1;
            return Err(ExportError::Rejected {
                metric: bad.name.clone(),
                seq: bad.seq,
            });
        }
        let first = (batch[0].service.clone(), batch[0].seq);
        if call >= PANIC_FROM_CALL
            && !self.panicked.load(Ordering::Relaxed)
            && self.may_fail(&first)
            && !self.panicked.swap(true, Ordering::Relaxed)
        {
            self.ledger().panics += 1;
            // Inside the future's poll, after an await: the processor catches it there too.
            panic!("{SIMULATED_PANIC}");
        }
        if call.is_multiple_of(7) && self.may_fail(&first) {
            self.ledger().transient_errors += 1;
            return Err(ExportError::Unavailable);
        }
        self.accept(batch);
        Ok(())
    }

    /// Whether the batch starting with `first` may fail once more: a healthy batch fails at
    /// most twice, fewer than its retries, so only the poison batch is ever given up on
    /// however the calls of the four workers interleave.
    fn may_fail(&self, first: &(String, u64)) -> bool {
        let mut ledger = self.ledger();
        let injected = ledger.injected.entry(first.clone()).or_insert(0);
        if *injected >= RETRIES - 1 {
            return false;
        }
        *injected += 1;
        true
    }

    fn accept(&self, batch: &[Metric]) {
        let switched_at = self.switched_at.get().copied();
        let mut ledger = self.ledger();
        ledger.batches += 1;
        for metric in batch {
            let fast = switched_at.is_some_and(|switch| metric.at >= switch);
            ledger.latency[usize::from(fast)].add(metric.at.elapsed());
            ledger.value_sum += metric.value;
            if !ledger.exported.insert((metric.service.clone(), metric.seq)) {
                ledger.duplicates += 1;
            }
            match ledger.last_seq.insert(metric.service.clone(), metric.seq) {
                Some(last) if last >= metric.seq => ledger.reordered += 1,
                _ => {}
            }
        }
    }

    /// The dead-letter callback: a real exporter would park the batch for inspection (or
    /// split it and export the healthy metrics again).
    fn dead_letter(&self, batch: Vec<Metric>, failure: Failure<ExportError>) {
        let cause = match &failure.cause {
            Cause::Error(ExportError::Rejected { metric, seq }) => {
                format!("rejected: cannot parse metric {metric:?} (seq {seq})")
            }
            Cause::Error(ExportError::Unavailable) => "collector unavailable".to_owned(),
            Cause::Panic(message) => format!("panic: {message}"),
        };
        let mut ledger = self.ledger();
        ledger.dead_batches.push(DeadBatch {
            size: batch.len(),
            partition: failure.partition,
            attempts: failure.attempts,
            cause,
            holds_poison: batch.iter().any(|metric| metric.name == POISON),
        });
        for metric in batch {
            ledger.value_sum += metric.value;
            ledger.dead_lettered.insert((metric.service, metric.seq));
        }
    }
}

/// One service: emits `PER_SERVICE` metrics in scrapes of `SCRAPE`; returns how many times
/// it had to wait for room.
async fn produce(queue: Arc<MetricQueue>, service: &'static str, pushed: Arc<AtomicU64>) -> u64 {
    let mut waits = 0;
    for scrape in 0..PER_SERVICE / SCRAPE {
        for seq in scrape * SCRAPE..(scrape + 1) * SCRAPE {
            let name = if (service, seq) == POISON_AT {
                POISON
            } else {
                NAMES[(seq % NAMES.len() as u64) as usize]
            };
            let metric = Metric {
                service: service.to_owned(),
                name: name.to_owned(),
                value: value_of(seq),
                seq,
                at: Instant::now(),
            };
            // The fast path needs no await; a full partition parks the task in `push_async`
            // until a worker takes a batch (backpressure: nothing is dropped, nothing spins).
            match queue.push(metric) {
                Ok(()) => {}
                Err(PushError::Full(metric)) => {
                    waits += 1;
                    if let Err(error) = queue.push_async(metric).await {
                        panic!("push_async failed: {error}");
                    }
                }
                Err(error) => panic!("push failed: {error}"),
            }
        }
        pushed.fetch_add(SCRAPE, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    waits
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The simulated panic is expected and reported by the processor; keep it off stderr.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        if message != Some(SIMULATED_PANIC) {
            default_hook(info);
        }
    }));

    let queue = Arc::new(MetricQueue::new()?);
    let collector = Arc::new(Collector::new());
    println!(
        "{} services x {PER_SERVICE} metrics into {} partitions of at most {}, \
         batches of {BATCH_SIZE}",
        SERVICES.len(),
        queue.partitions(),
        queue.config().get_max_capacity(),
    );
    println!(
        "routing: {}",
        SERVICES
            .iter()
            .map(|service| format!("{service} -> {}", queue.partition_of(*service)))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let started = Instant::now();
    let exporter = Arc::clone(&collector);
    let dead_letters = Arc::clone(&collector);
    let handle = queue
        .processor()
        .interval(SLOW_INTERVAL)
        .batch_size(BATCH_SIZE)
        .timeout(Duration::from_secs(10))
        .retries(RETRIES)
        .backoff(Duration::from_millis(2))
        .dead_letter(move |batch: Vec<Metric>, failure: Failure<ExportError>| {
            dead_letters.dead_letter(batch, failure);
        })
        .spawn(move |batch: Vec<Metric>| {
            let exporter = Arc::clone(&exporter);
            async move { exporter.export(&batch).await }
        });

    let pushed = Arc::new(AtomicU64::new(0));
    let producers: Vec<_> = SERVICES
        .iter()
        .map(|&service| tokio::spawn(produce(Arc::clone(&queue), service, Arc::clone(&pushed))))
        .collect();

    // Midway, shorten the interval on the running workers: a worker waiting out the long
    // interval drains at once, then every 10 ms.
    while pushed.load(Ordering::Relaxed) < TOTAL / 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let switched_at = Instant::now();
    let _ = collector.switched_at.set(switched_at);
    handle.update_options(ProcessorOptions::new().interval(FAST_INTERVAL))?;
    // A bad value is refused and changes nothing.
    let refused = handle.update_options(ProcessorOptions::new().batch_size(0));
    println!(
        "after {:.2} s ({} metrics pushed): interval {SLOW_INTERVAL:?} -> {:?}; batch_size 0 \
         refused: {}",
        (switched_at - started).as_secs_f64(),
        pushed.load(Ordering::Relaxed),
        handle.settings().interval,
        refused
            .as_ref()
            .map_or_else(ToString::to_string, |()| "accepted?!".to_owned()),
    );

    let mut waits = 0;
    for producer in producers {
        waits += producer.await?;
    }
    let live = handle.stats();
    let report = handle.shutdown().await;
    let elapsed = started.elapsed();
    let stats = report.stats;
    let queue_stats = queue.stats();
    let ledger = collector.ledger();

    // The checks. Each failure is printed; any makes the example exit non-zero.
    let mut failed = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failed.push(what);
        }
    };
    check(
        matches!(
            refused,
            Err(ProcessorError::InvalidOption {
                option: "batch_size",
                ..
            })
        ),
        format!("batch_size 0 should be refused, got {refused:?}"),
    );
    check(
        report.is_complete(),
        format!(
            "shutdown incomplete: timed out {}, {} unprocessed, {} remaining",
            report.timed_out,
            report.unprocessed.len(),
            report.remaining
        ),
    );
    let lost: Vec<(String, u64)> = SERVICES
        .iter()
        .flat_map(|&service| (0..PER_SERVICE).map(move |seq| (service.to_owned(), seq)))
        .filter(|key| !ledger.exported.contains(key) && !ledger.dead_lettered.contains(key))
        .collect();
    let both = ledger.exported.intersection(&ledger.dead_lettered).count();
    check(
        lost.is_empty(),
        format!(
            "{} metrics neither exported nor dead-lettered, first {:?}",
            lost.len(),
            lost.first()
        ),
    );
    check(
        ledger.duplicates == 0 && both == 0,
        format!(
            "{} metrics exported twice, {both} both exported and dead-lettered",
            ledger.duplicates
        ),
    );
    check(
        ledger.exported.len() as u64 + ledger.dead_lettered.len() as u64 == TOTAL,
        format!(
            "{} exported + {} dead-lettered != {TOTAL} pushed",
            ledger.exported.len(),
            ledger.dead_lettered.len()
        ),
    );
    let expected_sum = SERVICES.len() as f64 * (0..PER_SERVICE).map(value_of).sum::<f64>();
    check(
        ledger.value_sum == expected_sum,
        format!(
            "values sum to {} at the collector, {expected_sum} were emitted",
            ledger.value_sum
        ),
    );
    check(
        ledger.reordered == 0,
        format!("{} metrics exported out of order", ledger.reordered),
    );
    let poison_key = (POISON_AT.0.to_owned(), POISON_AT.1);
    check(
        ledger.dead_batches.len() == 1
            && ledger.dead_batches[0].holds_poison
            && ledger.dead_batches[0].attempts == RETRIES + 1
            && ledger.dead_batches[0].partition == queue.partition_of(POISON_AT.0)
            && ledger.dead_lettered.contains(&poison_key),
        format!(
            "expected exactly the poison batch of partition {} dead-lettered after {} attempts, \
             got {} batches",
            queue.partition_of(POISON_AT.0),
            RETRIES + 1,
            ledger.dead_batches.len()
        ),
    );
    check(
        ledger.panics == 1,
        format!("expected one simulated panic, got {}", ledger.panics),
    );
    // The processor's counters against what the exporter saw.
    let injected = ledger.transient_errors + ledger.panics + ledger.rejections;
    check(
        stats.processed == ledger.exported.len() as u64 && stats.batches == ledger.batches,
        format!(
            "stats say {} metrics in {} batches, the collector accepted {} in {}",
            stats.processed,
            stats.batches,
            ledger.exported.len(),
            ledger.batches
        ),
    );
    check(
        stats.failures == injected,
        format!(
            "stats say {} failures, the exporter failed {injected} calls",
            stats.failures
        ),
    );
    // Every failure but the last of each dead-lettered batch was retried.
    check(
        stats.retries == injected - ledger.dead_batches.len() as u64,
        format!(
            "stats say {} retries, expected {}",
            stats.retries,
            injected - ledger.dead_batches.len() as u64
        ),
    );
    check(
        stats.dead_lettered == ledger.dead_lettered.len() as u64 && stats.dropped == 0,
        format!(
            "stats say {} dead-lettered and {} dropped, the callback got {}",
            stats.dead_lettered,
            stats.dropped,
            ledger.dead_lettered.len()
        ),
    );
    check(
        stats.processed >= live.processed && stats.batches >= live.batches,
        "the counters went backwards between stats() and the shutdown report".to_owned(),
    );
    check(
        queue_stats.enqueued == TOTAL && queue_stats.dequeued == TOTAL && queue_stats.len == 0,
        format!(
            "queue: {} enqueued, {} dequeued, {} left",
            queue_stats.enqueued, queue_stats.dequeued, queue_stats.len
        ),
    );

    for dead in &ledger.dead_batches {
        println!(
            "dead letter: {} metrics from partition {} after {} attempts ({})",
            dead.size, dead.partition, dead.attempts, dead.cause
        );
    }
    println!(
        "exported {} metrics, dead-lettered {}: {} lost, {} duplicated; per-service order held: {}",
        ledger.exported.len(),
        ledger.dead_lettered.len(),
        lost.len(),
        ledger.duplicates + both as u64,
        ledger.reordered == 0,
    );
    println!(
        "processor: {} batches, {} failures ({} transient, {} panic, {} rejections), {} retries, \
         {} dead-lettered, {} dropped",
        stats.batches,
        stats.failures,
        ledger.transient_errors,
        ledger.panics,
        ledger.rejections,
        stats.retries,
        stats.dead_lettered,
        stats.dropped,
    );
    let [slow, fast] = &ledger.latency;
    println!(
        "observed -> exported: mean {:.1} ms, max {:.1} ms at {SLOW_INTERVAL:?}; mean {:.1} ms, \
         max {:.1} ms at {FAST_INTERVAL:?}",
        ms(slow.mean()),
        ms(slow.max),
        ms(fast.mean()),
        ms(fast.max),
    );
    println!(
        "producers waited for room {waits} times; partitions took {:?} metrics",
        queue_stats
            .partitions
            .iter()
            .map(|partition| partition.enqueued)
            .collect::<Vec<_>>(),
    );
    println!(
        "{TOTAL} metrics in {:.2} s ({:.0} metrics/s), shutdown complete: {}",
        elapsed.as_secs_f64(),
        TOTAL as f64 / elapsed.as_secs_f64(),
        report.is_complete(),
    );

    if !failed.is_empty() {
        for what in &failed {
            eprintln!("check failed: {what}");
        }
        std::process::exit(1);
    }
    Ok(())
}

/// The value a service reports as its metric `seq`.
fn value_of(seq: u64) -> f64 {
    (seq % 997) as f64 * 0.5
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
