//! An MQTT broker's outbound path on one derived queue: the flagship example.
//!
//! `#[derive(ElasticQueue)]` on `Publish` declares everything the broker needs: the QoS is
//! the priority (ExactlyOnce commands overtake AtMostOnce telemetry, fairly), the client id is
//! the partition key (one client's publishes stay in one partition, in order), the queue is
//! kept in a write-ahead log, and it reports to Prometheus under the label `mqtt_publish`.
//!
//! Simulated MQTT clients (tokio tasks) publish a mix of QoS levels as fast as the broker lets
//! them: when a lane is full at its maximum, `push_async` parks the client until there is
//! room (backpressure: nothing is dropped). The broker's outbound path is the processor: one
//! worker per partition takes batches, highest QoS first, and forwards them to the
//! subscribers (a simulated round trip; now and then a connection reset, which the processor
//! retries). A batch is acknowledged in the log only once it was forwarded.
//!
//! Then the outbound path goes down while the clients keep publishing, the broker restarts
//! (the queue is dropped and reopened from its directory), and what was queued comes back
//! from the log and is forwarded.
//!
//! It prints publishes/s, latency percentiles per QoS and an excerpt of the Prometheus
//! exposition, and checks that every publish was forwarded exactly once, each client's in
//! order within a QoS level; it exits non-zero if a check fails.
//!
//! Run it with `cargo run --release --example mqtt_proxy` (a few seconds).

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use elasticq::metrics::names;
use elasticq::{
    ElasticQueue, PersistStats, Priority, ProcessorHandle, PushError, ShutdownReport, Stats,
};
use metrics_exporter_prometheus::PrometheusBuilder;

/// Simulated MQTT clients, each a tokio task.
const CLIENTS: u64 = 16;
/// Publishes each client sends while the outbound path runs.
const PER_CLIENT: u64 = 25_000;
/// Publishes each client sends while the outbound path is down, before the restart.
const OFFLINE_PER_CLIENT: u64 = 250;
/// Most publishes the processor hands to `forward` at once.
const BATCH_SIZE: usize = 256;
/// The simulated round trip of one forwarded batch.
const ROUND_TRIP: Duration = Duration::from_millis(1);
/// A batch whose first publish has a seq divisible by this fails its first try.
const FLAKY_EVERY: u64 = 64;

/// MQTT's quality-of-service levels; a later variant ranks higher, so QoS 2 is popped first.
// The names are the MQTT specification's.
#[allow(clippy::enum_variant_names)]
#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

/// A publish the broker is to forward to the subscribers of its topic.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    // Producers never wait for a resize, and the processor takes batches fastest on it.
    engine = lock_free,
    // Per lane (one partition's QoS level): starts at 256 slots, grows up to 4,096 under a
    // burst, shrinks back once drained. A client publishing into a full lane waits.
    capacity(initial = 256, min = 256, max = 4_096),
    partitions = 4,
    // Highest QoS first, but at most 5 in a row while a lower level waits: a flood of
    // commands delays telemetry, never starves it.
    fair(max_consecutive = 5),
    // The log is fdatasync'ed every 20 ms in the background: a power cut loses at most the
    // last 20 ms of publishes, and a push costs about a microsecond. `every_write` makes
    // each push wait for an fdatasync (~120 µs on the machine this was written on;
    // concurrent pushes to one partition share one): the choice when a publish must be on
    // disk before the broker acknowledges it to its client.
    persist(sync = periodic(ms = 20)),
    metrics = "mqtt_publish",
)]
struct Publish {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
    topic: String,
    payload: Vec<u8>,
    /// The client's publish number, from 0: what the checks count.
    seq: u64,
    /// When the client published it, in µs since the example started (an `Instant` has no
    /// encoding in the log; a `u64` has).
    published_at_us: u64,
}

static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

fn now_us() -> u64 {
    u64::try_from(STARTED.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn client_id(client: u64) -> String {
    format!("client-{client:02}")
}

/// A client's `seq`-th publish: mostly QoS 0 telemetry, some QoS 1 alerts, a few QoS 2
/// commands, drawn from a fixed pseudo-random sequence.
fn publish(client: u64, client_id: &str, seq: u64) -> Publish {
    let draw = splitmix(client << 32 | seq);
    let (qos, kind) = match draw % 100 {
        0..=4 => (QoS::ExactlyOnce, "commands"),
        5..=19 => (QoS::AtLeastOnce, "alerts"),
        _ => (QoS::AtMostOnce, "telemetry"),
    };
    let celsius = 15.0 + (draw >> 8) as f64 % 200.0 / 10.0;
    Publish {
        qos,
        client_id: client_id.to_owned(),
        topic: format!("devices/{client_id}/{kind}"),
        payload: format!(r#"{{"seq":{seq},"celsius":{celsius:.1}}}"#).into_bytes(),
        seq,
        published_at_us: now_us(),
    }
}

fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One MQTT client publishing `seqs`; returns how many times it waited for room.
async fn client(queue: Arc<PublishQueue>, client: u64, seqs: Range<u64>) -> Result<u64, String> {
    let id = client_id(client);
    let mut waits = 0;
    for seq in seqs {
        // The fast path needs no await; a full lane parks the task in `push_async` until a
        // worker takes a batch from the queue.
        match queue.push(publish(client, &id, seq)) {
            Ok(()) => {}
            Err(PushError::Full(publish)) => {
                waits += 1;
                queue
                    .push_async(publish)
                    .await
                    .map_err(|error| format!("{id} publish {seq}: {error}"))?;
            }
            Err(error) => return Err(format!("{id} publish {seq}: {error}")),
        }
        if seq % 64 == 63 {
            // A real client yields at every socket read; a simulated one must yield now and
            // then, or it keeps a runtime thread from the processor's workers.
            tokio::task::yield_now().await;
        }
    }
    Ok(waits)
}

/// Runs every client over `seqs` to the end; returns their waits for room.
async fn publish_all(queue: &Arc<PublishQueue>, seqs: Range<u64>) -> Result<u64, Box<dyn Error>> {
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(client(Arc::clone(queue), c, seqs.clone())))
        .collect();
    let mut waits = 0;
    for task in clients {
        waits += task.await??;
    }
    Ok(waits)
}

/// Why a forward failed; the processor retries the batch after a backoff.
#[derive(Debug)]
enum SendError {
    ConnectionReset,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a subscriber's connection was reset")
    }
}

/// What the subscribers received.
struct Ledger {
    /// Per client, how often each of its publishes was forwarded (index: seq).
    forwarded: HashMap<String, Vec<u8>>,
    /// Per (client, QoS level), the seq of the last publish forwarded.
    last_seq: HashMap<(String, usize), u64>,
    reordered: u64,
    unexpected: u64,
    /// Publish-to-forwarded latency in µs per QoS level, of the first run.
    latency_us: [Vec<u64>; 3],
    batches: u64,
    /// Batches that failed their first try, named by their first publish.
    failed_once: HashSet<(String, u64)>,
}

/// The subscribers' side of the broker, shared by the processor's workers.
struct Subscribers {
    ledger: Mutex<Ledger>,
    sends: AtomicU64,
}

impl Subscribers {
    fn new() -> Self {
        let per_client = usize::try_from(PER_CLIENT + OFFLINE_PER_CLIENT).unwrap_or(usize::MAX);
        Self {
            ledger: Mutex::new(Ledger {
                forwarded: (0..CLIENTS)
                    .map(|c| (client_id(c), vec![0; per_client]))
                    .collect(),
                last_seq: HashMap::new(),
                reordered: 0,
                unexpected: 0,
                latency_us: Default::default(),
                batches: 0,
                failed_once: HashSet::new(),
            }),
            sends: AtomicU64::new(0),
        }
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The broker's outbound path: sends `batch` to the subscribers. An `Err` fails the
    /// batch; the processor keeps it in the log and tries it again.
    async fn forward(&self, batch: Vec<Publish>) -> Result<(), SendError> {
        self.sends.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(ROUND_TRIP).await;
        let now = now_us();
        let mut ledger = self.ledger();
        if let Some(first) = batch.first() {
            let key = (first.client_id.clone(), first.seq);
            if first.seq.is_multiple_of(FLAKY_EVERY) && ledger.failed_once.insert(key) {
                return Err(SendError::ConnectionReset); // its retry goes through
            }
        }
        ledger.batches += 1;
        for publish in &batch {
            let level = publish.qos.level();
            let seq = usize::try_from(publish.seq).unwrap_or(usize::MAX);
            match ledger.forwarded.get_mut(&publish.client_id) {
                Some(counts) if seq < counts.len() => counts[seq] = counts[seq].saturating_add(1),
                _ => ledger.unexpected += 1,
            }
            let lane = (publish.client_id.clone(), level);
            if let Some(last) = ledger.last_seq.insert(lane, publish.seq) {
                if last >= publish.seq {
                    ledger.reordered += 1;
                }
            }
            if publish.seq < PER_CLIENT {
                let latency = now.saturating_sub(publish.published_at_us);
                ledger.latency_us[level].push(latency);
            }
        }
        Ok(())
    }
}

/// The broker's outbound path: one worker per partition, forwarding batches as they come.
fn spawn_outbound(
    queue: &Arc<PublishQueue>,
    subscribers: &Arc<Subscribers>,
) -> ProcessorHandle<PublishQueue> {
    let subscribers = Arc::clone(subscribers);
    queue
        .processor()
        .interval(Duration::from_millis(2))
        .batch_size(BATCH_SIZE)
        .retries(3)
        .backoff(Duration::from_millis(1))
        .timeout(Duration::from_secs(20))
        .spawn(move |batch: Vec<Publish>| {
            let subscribers = Arc::clone(&subscribers);
            async move { subscribers.forward(batch).await }
        })
}

/// What the run left behind, for the summary and the checks.
struct Outcome {
    elapsed: Duration,
    waits: u64,
    report: ShutdownReport<Publish>,
    stats: Stats,
    persisted: PersistStats,
    exposition: String,
    queued_offline: usize,
    reopened_in: Duration,
    recovered: u64,
    after_restart: ShutdownReport<Publish>,
    forwarded_after_restart_in: Duration,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    LazyLock::force(&STARTED);
    // The recorder goes in first: a labelled queue registers its series with the recorder
    // installed when the queue is built.
    let recorder = PrometheusBuilder::new().build_recorder();
    let prometheus = recorder.handle();
    metrics::set_global_recorder(recorder)?;

    let dir = tempfile::tempdir()?;
    let queue = Arc::new(PublishQueue::open(dir.path())?);
    let subscribers = Arc::new(Subscribers::new());
    let mut per_partition = vec![0; queue.partitions()];
    for c in 0..CLIENTS {
        per_partition[queue.partition_of(&client_id(c))] += 1;
    }
    println!(
        "PublishQueue: lock_free, {} partitions by client_id, 3 QoS levels (fair), \
         a log synced every 20 ms, metrics \"mqtt_publish\"",
        queue.partitions(),
    );
    println!(
        "{CLIENTS} clients x {PER_CLIENT} publishes (5% ExactlyOnce, 15% AtLeastOnce, \
         80% AtMostOnce); clients per partition: {per_partition:?}\n"
    );

    // 1. The clients publish while the processor forwards.
    let started = Instant::now();
    let outbound = spawn_outbound(&queue, &subscribers);
    let waits = publish_all(&queue, 0..PER_CLIENT).await?;
    let report = outbound.shutdown().await; // forwards what is still queued, then stops
    let elapsed = started.elapsed();
    queue.publish_metrics();
    let exposition = prometheus.render();
    let (stats, persisted) = (queue.stats(), queue.persist_stats());

    // 2. The outbound path is down; the clients keep publishing into the log (far below the
    // lanes' maximum: nobody waits for a worker that is not there).
    publish_all(&queue, PER_CLIENT..PER_CLIENT + OFFLINE_PER_CLIENT).await?;
    let queued_offline = queue.len();

    // 3. The broker restarts: dropping the last reference syncs and closes the log, and
    // `open` reads back every publish not acknowledged.
    drop(Arc::into_inner(queue).ok_or("the queue is still shared")?);
    let restarted = Instant::now();
    let queue = Arc::new(PublishQueue::open(dir.path())?);
    let reopened_in = restarted.elapsed();
    let recovered = queue.persist_stats().recovered;
    let restarted = Instant::now();
    let after_restart = spawn_outbound(&queue, &subscribers).shutdown().await;
    let forwarded_after_restart_in = restarted.elapsed();

    let outcome = Outcome {
        elapsed,
        waits,
        report,
        stats,
        persisted,
        exposition,
        queued_offline,
        reopened_in,
        recovered,
        after_restart,
        forwarded_after_restart_in,
    };
    let ledger = subscribers.ledger();
    print_summary(&outcome, &ledger);
    let failed = checks(&outcome, &ledger, subscribers.sends.load(Ordering::Relaxed));
    if !failed.is_empty() {
        for what in &failed {
            eprintln!("check failed: {what}");
        }
        std::process::exit(1);
    }
    println!(
        "\nok: {} publishes forwarded exactly once, each client's in order within its QoS",
        CLIENTS * (PER_CLIENT + OFFLINE_PER_CLIENT),
    );
    Ok(())
}

fn print_summary(run: &Outcome, ledger: &Ledger) {
    let processor = &run.report.stats;
    println!(
        "forwarded {} publishes in {:.2} s: {:.0} publishes/s, {} batches, {} failed sends \
         retried",
        processor.processed,
        run.elapsed.as_secs_f64(),
        processor.processed as f64 / run.elapsed.as_secs_f64(),
        processor.batches,
        processor.failures,
    );
    println!(
        "per partition {:?}: the busiest one's worker sets the pace, one simulated round \
         trip (a {ROUND_TRIP:?} sleep) per batch of up to {BATCH_SIZE}",
        run.stats
            .partitions
            .iter()
            .map(|p| p.dequeued)
            .collect::<Vec<_>>(),
    );
    println!(
        "backpressure: clients waited for room {} times; the lanes resized {} times",
        run.waits, run.stats.resizes,
    );
    println!(
        "log: {:.1} MB written, {} fdatasyncs (in the background, not one per publish)",
        run.persisted.bytes_written as f64 / 1e6,
        run.persisted.fsyncs,
    );

    println!("\npublish -> forwarded   count   p50 ms   p99 ms   max ms");
    let mut p99 = [0; 3];
    for qos in [QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::AtMostOnce] {
        let mut latencies = ledger.latency_us[qos.level()].clone();
        latencies.sort_unstable();
        p99[qos.level()] = percentile(&latencies, 99.0);
        println!(
            "{:<19} {:>7} {:>8.1} {:>8.1} {:>8.1}",
            format!("{qos:?}"),
            latencies.len(),
            ms(percentile(&latencies, 50.0)),
            ms(p99[qos.level()]),
            ms(latencies.last().copied().unwrap_or(0)),
        );
    }
    // Priority is an order, not a latency guarantee (fairness, batching and the scheduler
    // play a part), so this is reported rather than checked.
    let ordered = p99[2] <= p99[1] && p99[1] <= p99[0];
    println!(
        "higher QoS, lower p99: {}",
        if ordered { "yes" } else { "no" }
    );

    println!(
        "\nrestart: {} publishes queued while the outbound path was down; the log reopened \
         in {:.0} ms with {} of them, forwarded in {:.0} ms",
        run.queued_offline,
        ms_of(run.reopened_in),
        run.recovered,
        ms_of(run.forwarded_after_restart_in),
    );

    println!("\nPrometheus, before the restart (excerpt):");
    let wanted = [
        (names::per_priority(names::ENQUEUED), "priority"),
        (names::per_priority(names::DEQUEUED), "priority"),
        (names::BATCHES_PROCESSED.to_owned(), ""),
        (names::PROCESSING_FAILURES.to_owned(), ""),
        (names::WAL_FSYNCS.to_owned(), ""),
        (names::UNACKED.to_owned(), ""),
    ];
    let mut excerpt: Vec<&str> = run
        .exposition
        .lines()
        .filter(|line| {
            wanted
                .iter()
                .any(|(name, label)| line.starts_with(name.as_str()) && line.contains(label))
        })
        .collect();
    excerpt.sort_unstable();
    for line in excerpt {
        println!("  {line}");
    }
}

/// Every check that failed, described.
fn checks(run: &Outcome, ledger: &Ledger, sends: u64) -> Vec<String> {
    let mut failed = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failed.push(what);
        }
    };
    for (phase, report) in [("first run", &run.report), ("restart", &run.after_restart)] {
        check(
            report.is_complete(),
            format!(
                "{phase}: shutdown incomplete (timed out: {}, {} unprocessed, {} remaining)",
                report.timed_out,
                report.unprocessed.len(),
                report.remaining
            ),
        );
    }
    let (mut lost, mut duplicated) = (0, 0);
    for counts in ledger.forwarded.values() {
        lost += counts.iter().filter(|&&n| n == 0).count();
        duplicated += counts.iter().filter(|&&n| n > 1).count();
    }
    check(
        lost == 0 && duplicated == 0 && ledger.unexpected == 0,
        format!(
            "{lost} publishes lost, {duplicated} duplicated, {} unexpected",
            ledger.unexpected
        ),
    );
    check(
        ledger.reordered == 0,
        format!("{} publishes overtook an earlier one", ledger.reordered),
    );
    let (first, offline) = (CLIENTS * PER_CLIENT, CLIENTS * OFFLINE_PER_CLIENT);
    check(
        run.report.stats.processed == first && run.after_restart.stats.processed == offline,
        format!(
            "the processor counted {} + {} publishes, expected {first} + {offline}",
            run.report.stats.processed, run.after_restart.stats.processed
        ),
    );
    check(
        run.queued_offline as u64 == offline && run.recovered == offline,
        format!(
            "{} queued and {} recovered, expected {offline}",
            run.queued_offline, run.recovered
        ),
    );
    // Every send delivered a batch or failed and was retried; none was given up on.
    let both = [&run.report.stats, &run.after_restart.stats];
    let batches: u64 = both.iter().map(|stats| stats.batches).sum();
    let failures: u64 = both.iter().map(|stats| stats.failures).sum();
    let dropped: u64 = both.iter().map(|s| s.dropped + s.dead_lettered).sum();
    check(
        batches == ledger.batches && batches + failures == sends && dropped == 0,
        format!(
            "the processor counted {batches} batches, {failures} failures, {dropped} given up; \
             the subscribers got {} batches in {sends} sends",
            ledger.batches
        ),
    );
    let stats = &run.stats;
    // A batch whose send failed was handed back (`nack`) and taken again: each of its
    // messages counts once more as redelivered and as dequeued.
    check(
        stats.enqueued == first
            && stats.dequeued == first + stats.redelivered
            && stats.len == 0
            && (stats.redelivered > 0) == (run.report.stats.failures > 0),
        format!(
            "the queue counted {} enqueued, {} dequeued, {} redelivered, {} left",
            stats.enqueued, stats.dequeued, stats.redelivered, stats.len
        ),
    );
    let exported = exported_value(&run.exposition, names::BATCHES_PROCESSED);
    check(
        exported == Some(run.report.stats.batches as f64),
        format!(
            "Prometheus has {exported:?} for {}, the processor counted {}",
            names::BATCHES_PROCESSED,
            run.report.stats.batches
        ),
    );
    failed
}

/// The value of `name{queue="mqtt_publish"}` in the exposition text.
fn exported_value(exposition: &str, name: &str) -> Option<f64> {
    let series = format!("{name}{{queue=\"mqtt_publish\"}} ");
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .and_then(|value| value.trim().parse().ok())
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied().unwrap_or(0)
}

fn ms(us: u64) -> f64 {
    us as f64 / 1e3
}

fn ms_of(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
