//! The batch processor end to end, against a hand-written tokio mpsc + batching loop, in the
//! same run. Four producer threads push `MESSAGES` messages between them, keyed by one of
//! `SOURCES` sources, into four partitions; the time runs from the start of producing until
//! the last message has been handed to the batch function (`export`, the same for everyone):
//!
//! - `processor_4p4c/elasticq_tasks_locked` and `.../elasticq_tasks_lock_free`: a derived
//!   queue with `partitions = 4` on either engine, drained by `processor().spawn(..)` (one
//!   tokio task per partition, every `INTERVAL`, in batches of at most `BATCH`);
//! - `processor_4p4c/elasticq_threads_locked`: the same queue drained by `spawn_threads`;
//! - `processor_4p4c/mpsc_unbounded`: the peer, four unbounded tokio mpsc channels (one per
//!   partition, routed by the same hash), each drained by a task with `recv_many(.., BATCH)`.
//!   Unbounded because the queue's `push` never waits either: it grows (up to `max`), so
//!   neither side applies backpressure and neither side's producers ever wait;
//! - `processor_4p4c/mpsc_unbounded_ticked`: the same channels drained the processor's way
//!   (every `INTERVAL`, in batches of `BATCH` until one comes out short), to tell what interval
//!   batching buys from what the queue itself costs;
//! - `processor_4p4c/mpsc_bounded_4096`: the same with bounded channels of 4096 and
//!   `blocking_send`, the peer as it is usually written, with backpressure, for reference.
//!
//! The processor is interval-driven (PartitionedBuffer's cycle): a worker drains its partition
//! every `INTERVAL` (1 ms, as an exporter that must not hold data long would) while a
//! `recv_many` consumer wakes as soon as a message lands in its empty channel, so the processor
//! pays up to one interval of latency at the end of each iteration. `MESSAGES` is large enough (tens of ms of work) that this tail is a
//! few percent, not the figure.
//!
//! Producers are std threads, spawned per iteration for both sides (a few tens of µs against
//! tens of ms); the consumers (processor workers, channel tasks) live across iterations on one
//! multi-thread runtime of two workers, built once, as an exporter runs beside its
//! application. The harness thread parks until the batch function has seen every message.
//!
//! After the group, `same_run_ratio` alternates elasticq and the unbounded peers iteration by
//! iteration, so that the machine's noise falls on all alike, and prints the median
//! throughputs, the mean batch each consumer handed over, and elasticq's ratio to the
//! `recv_many` peer against the target (at least 1.0x).
//!
//! Run it with `cargo bench --bench processor -- --warm-up-time 1 --measurement-time 3`.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use elasticq::{stable_hash, ElasticQueue, GeneratedQueue};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// A telemetry record: its source routes it; `seq` checks that each arrives exactly once.
#[derive(ElasticQueue, Clone, Debug)]
#[elastic_queue(partitions = 4, capacity(initial = 4096, max = 4_194_304))]
struct Msg {
    #[elastic_queue(partition_key)]
    source: u32,
    seq: u64,
    value: u64,
}

/// The same message on the lock-free engine.
#[elasticq::queue(
    message = Msg,
    engine = lock_free,
    partitions = 4,
    capacity(initial = 4096, max = 4_194_304)
)]
struct LockFreeMsgs;

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Producer threads.
const PRODUCERS: u64 = 4;
/// Messages each producer sends per iteration.
const PER_PRODUCER: u64 = 50_000;
/// Messages per iteration.
const MESSAGES: u64 = PRODUCERS * PER_PRODUCER;
/// Partitions, and channels on the peer's side.
const PARTITIONS: usize = 4;
/// Distinct partition keys; every producer sends from all of them, so every producer feeds
/// every partition, as an application's threads feed an exporter.
const SOURCES: u64 = 64;
/// The most messages one call of the batch function receives, on both sides.
const BATCH: usize = 256;
/// The processor's drain interval.
const INTERVAL: Duration = Duration::from_millis(1);
/// The bounded peer's capacity per channel.
const CHANNEL_CAPACITY: usize = 4096;
/// Runtime workers: the machine's two cores.
const WORKERS: usize = 2;
/// Rounds of each side in `same_run_ratio`.
const ROUNDS: usize = 21;
/// Target: elasticq's throughput at least this multiple of the unbounded peer's.
const TARGET_RATIO: f64 = 1.0;
/// A run that has not delivered everything after this long has lost messages; failing beats
/// hanging.
const STALL_LIMIT: Duration = Duration::from_secs(60);

/// Where the batches end up: counts what arrived and wakes the harness once all has.
struct Sink {
    delivered: AtomicU64,
    /// Calls of the batch function: `delivered / batches` is the mean batch, which tells how
    /// often a consumer woke up.
    batches: AtomicU64,
    seq_sum: AtomicU64,
    /// `delivered` at which the current iteration is complete.
    target: AtomicU64,
    harness: Thread,
}

impl Sink {
    /// Messages and batches delivered so far.
    fn counts(&self) -> (u64, u64) {
        (
            self.delivered.load(Ordering::Acquire),
            self.batches.load(Ordering::Relaxed),
        )
    }

    /// The mean batch since `since`, a value of `counts`.
    fn mean_batch(&self, since: (u64, u64)) -> f64 {
        let (delivered, batches) = self.counts();
        (delivered - since.0) as f64 / (batches - since.1).max(1) as f64
    }

    fn new() -> Arc<Self> {
        Arc::new(Self {
            delivered: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            seq_sum: AtomicU64::new(0),
            target: AtomicU64::new(u64::MAX),
            harness: thread::current(),
        })
    }

    /// The work of an exporter on a batch, kept small (reads every message once) so the
    /// figure is the machinery's: three atomic adds per batch and a wake-up at the end.
    fn deliver(&self, batch: Vec<Msg>) {
        let n = batch.len() as u64;
        let mut seq_sum = 0u64;
        let mut digest = 0u64;
        for m in &batch {
            seq_sum = seq_sum.wrapping_add(m.seq);
            digest = digest.wrapping_add(m.value ^ u64::from(m.source));
        }
        black_box(digest);
        self.seq_sum.fetch_add(seq_sum, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        let before = self.delivered.fetch_add(n, Ordering::AcqRel);
        if before + n >= self.target.load(Ordering::Relaxed) {
            self.harness.unpark();
        }
    }
}

/// The batch function, the same on both sides: an async exporter that takes the batch.
async fn export(sink: Arc<Sink>, batch: Vec<Msg>) -> Result<(), Infallible> {
    sink.deliver(batch);
    Ok(())
}

/// The `i`-th message of producer `p`: `seq` unique across the iteration, the source cycling
/// through all `SOURCES`.
fn msg(p: u64, i: u64) -> Msg {
    let seq = p * PER_PRODUCER + i;
    Msg {
        source: (seq % SOURCES) as u32,
        seq,
        value: seq.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    }
}

/// The peer's routing: the partition the derived queue picks for `source` (checked in
/// `check_routing`), by the same stable hash.
fn route(source: u32) -> usize {
    (stable_hash(&source) % PARTITIONS as u64) as usize
}

fn check_routing() {
    let queue = MsgQueue::new().expect("valid");
    let mut per_partition = [0u32; PARTITIONS];
    for source in 0..SOURCES as u32 {
        assert_eq!(route(source), queue.partition_of(&source), "same routing");
        per_partition[route(source)] += 1;
    }
    println!("sources per partition: {per_partition:?}");
}

/// One iteration: `PRODUCERS` threads hand `MESSAGES` messages to `push`; returns the time
/// from the first spawn until `sink` has received them all, after checking that each arrived
/// exactly once.
fn run_once(sink: &Sink, push: impl Fn(Msg) + Sync) -> Duration {
    let base = sink.delivered.load(Ordering::Acquire);
    let seq_base = sink.seq_sum.load(Ordering::Relaxed);
    let target = base + MESSAGES;
    sink.target.store(target, Ordering::Relaxed);
    let start = Instant::now();
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let push = &push;
            s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    push(msg(p, i));
                }
            });
        }
    });
    while sink.delivered.load(Ordering::Acquire) < target {
        // `deliver` unparks this thread once the target is reached; the timeout only
        // bounds the watchdog's check.
        thread::park_timeout(Duration::from_millis(100));
        assert!(
            start.elapsed() < STALL_LIMIT,
            "{} of {MESSAGES} messages delivered after {STALL_LIMIT:?}",
            sink.delivered.load(Ordering::Relaxed) - base
        );
    }
    let elapsed = start.elapsed();
    sink.target.store(u64::MAX, Ordering::Relaxed);
    assert_eq!(
        sink.delivered.load(Ordering::Acquire) - base,
        MESSAGES,
        "messages duplicated"
    );
    assert_eq!(
        sink.seq_sum.load(Ordering::Relaxed).wrapping_sub(seq_base),
        MESSAGES * (MESSAGES - 1) / 2,
        "messages lost or duplicated"
    );
    elapsed
}

/// A running contender: how to push one message, and how to stop its consumers.
trait Contender {
    fn push(&self, m: Msg);
    fn stop(self, rt: &Runtime) -> u64;
}

/// A queue drained by the tokio processor.
struct TaskProcessor<Q: GeneratedQueue<Batch = Vec<Msg>>> {
    queue: Arc<Q>,
    handle: elasticq::ProcessorHandle<Q>,
}

macro_rules! task_processor {
    ($rt:expr, $sink:expr, $queue:ty) => {{
        let queue = Arc::new(<$queue>::new().expect("valid"));
        let sink = Arc::clone($sink);
        // `spawn` starts its workers on the runtime it is called in.
        let _runtime = $rt.enter();
        let handle = queue
            .processor()
            .interval(INTERVAL)
            .batch_size(BATCH)
            .retries(0)
            .spawn(move |batch: Vec<Msg>| export(Arc::clone(&sink), batch));
        TaskProcessor { queue, handle }
    }};
}

impl<Q> Contender for TaskProcessor<Q>
where
    Q: GeneratedQueue<Message = Msg, Batch = Vec<Msg>> + Send + Sync + 'static,
{
    fn push(&self, m: Msg) {
        self.queue.push(m).expect("room: the queue grows");
    }

    fn stop(self, rt: &Runtime) -> u64 {
        let report = rt.block_on(self.handle.shutdown());
        assert!(report.is_complete(), "{report:?}");
        report.stats.processed
    }
}

/// The derived queue drained by the thread processor.
struct ThreadProcessor {
    queue: Arc<MsgQueue>,
    handle: elasticq::ThreadProcessorHandle<MsgQueue>,
}

impl ThreadProcessor {
    fn start(sink: &Arc<Sink>) -> Self {
        let queue = Arc::new(MsgQueue::new().expect("valid"));
        let sink = Arc::clone(sink);
        let handle = queue
            .processor()
            .interval(INTERVAL)
            .batch_size(BATCH)
            .retries(0)
            .spawn_threads(move |batch: Vec<Msg>| {
                sink.deliver(batch);
                Ok::<(), Infallible>(())
            })
            .expect("valid settings");
        Self { queue, handle }
    }
}

impl Contender for ThreadProcessor {
    fn push(&self, m: Msg) {
        self.queue.push(m).expect("room: the queue grows");
    }

    fn stop(self, _: &Runtime) -> u64 {
        let report = self.handle.shutdown();
        assert!(report.is_complete(), "{report:?}");
        report.stats.processed
    }
}

/// The peer's consumer: receives up to `BATCH` at once and hands the batch over, as a
/// hand-written exporter loop does. The batch is moved out (a fresh buffer each time) because
/// the batch function takes it, as the processor's does.
async fn consume<R: Receive>(mut rx: R, sink: Arc<Sink>) -> u64 {
    let mut received = 0;
    let mut buf = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut buf, BATCH).await > 0 {
        received += buf.len() as u64;
        let batch = std::mem::replace(&mut buf, Vec::with_capacity(BATCH));
        let Ok(()) = export(Arc::clone(&sink), batch).await;
    }
    received
}

/// The peer written the processor's way: wakes every `INTERVAL` and drains its channel in
/// batches of at most `BATCH` until a batch comes out short, so that the comparison with
/// `consume` separates what interval batching buys from what the queue itself costs.
async fn consume_ticked(mut rx: mpsc::UnboundedReceiver<Msg>, sink: Arc<Sink>) -> u64 {
    let mut received = 0;
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // Read before draining: once every sender is gone, what the drain leaves is nothing.
        let closed = rx.is_closed();
        while !rx.is_empty() {
            let mut batch = Vec::with_capacity(BATCH);
            // Not empty, and this task is the only receiver: returns at once.
            let n = rx.recv_many(&mut batch, BATCH).await;
            received += n as u64;
            let Ok(()) = export(Arc::clone(&sink), batch).await;
            if n < BATCH {
                break;
            }
        }
        if closed && rx.is_empty() {
            return received;
        }
    }
}

/// `recv_many` of either kind of tokio receiver.
trait Receive: Send + 'static {
    fn recv_many(&mut self, buf: &mut Vec<Msg>, limit: usize)
        -> impl Future<Output = usize> + Send;
}

impl Receive for mpsc::UnboundedReceiver<Msg> {
    async fn recv_many(&mut self, buf: &mut Vec<Msg>, limit: usize) -> usize {
        mpsc::UnboundedReceiver::recv_many(self, buf, limit).await
    }
}

impl Receive for mpsc::Receiver<Msg> {
    async fn recv_many(&mut self, buf: &mut Vec<Msg>, limit: usize) -> usize {
        mpsc::Receiver::recv_many(self, buf, limit).await
    }
}

/// The peer: one channel per partition, one consumer task per channel.
struct Channels<S> {
    senders: Vec<S>,
    consumers: Vec<JoinHandle<u64>>,
}

impl Channels<mpsc::UnboundedSender<Msg>> {
    fn unbounded(rt: &Runtime, sink: &Arc<Sink>) -> Self {
        let (senders, consumers) = (0..PARTITIONS)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                (tx, rt.spawn(consume(rx, Arc::clone(sink))))
            })
            .unzip();
        Self { senders, consumers }
    }
}

impl Channels<mpsc::UnboundedSender<Msg>> {
    fn unbounded_ticked(rt: &Runtime, sink: &Arc<Sink>) -> Self {
        let (senders, consumers) = (0..PARTITIONS)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                (tx, rt.spawn(consume_ticked(rx, Arc::clone(sink))))
            })
            .unzip();
        Self { senders, consumers }
    }
}

impl Channels<mpsc::Sender<Msg>> {
    fn bounded(rt: &Runtime, sink: &Arc<Sink>) -> Self {
        let (senders, consumers) = (0..PARTITIONS)
            .map(|_| {
                let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
                (tx, rt.spawn(consume(rx, Arc::clone(sink))))
            })
            .unzip();
        Self { senders, consumers }
    }
}

impl<S> Channels<S> {
    fn join(self, rt: &Runtime) -> u64 {
        drop(self.senders);
        rt.block_on(async {
            let mut received = 0;
            for consumer in self.consumers {
                received += consumer.await.expect("a consumer panicked");
            }
            received
        })
    }
}

impl Contender for Channels<mpsc::UnboundedSender<Msg>> {
    fn push(&self, m: Msg) {
        self.senders[route(m.source)]
            .send(m)
            .expect("the consumer is running");
    }

    fn stop(self, rt: &Runtime) -> u64 {
        self.join(rt)
    }
}

impl Contender for Channels<mpsc::Sender<Msg>> {
    fn push(&self, m: Msg) {
        self.senders[route(m.source)]
            .blocking_send(m)
            .expect("the consumer is running");
    }

    fn stop(self, rt: &Runtime) -> u64 {
        self.join(rt)
    }
}

/// Benches `contender` under `name`, then stops it and checks that its consumers saw every
/// message the sink did.
fn bench_contender(
    group: &mut Group,
    rt: &Runtime,
    sink: &Sink,
    name: &str,
    contender: impl Contender + Sync,
) {
    let before = sink.counts();
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| run_once(sink, |m| contender.push(m)))
                .sum()
        })
    });
    let consumed = contender.stop(rt);
    assert_eq!(
        consumed,
        sink.counts().0 - before.0,
        "{name}: consumers and sink disagree"
    );
    println!(
        "processor_4p4c/{name}: mean batch {:.1} messages (at most {BATCH})",
        sink.mean_batch(before)
    );
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn processor_4p4c(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("processor_4p4c");
    // An iteration takes tens of milliseconds: flat sampling with few samples keeps each
    // contender within its measurement time instead of criterion stretching it.
    group
        .throughput(Throughput::Elements(MESSAGES))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat);
    let sink = Sink::new();

    let contender = task_processor!(rt, &sink, MsgQueue);
    bench_contender(&mut group, rt, &sink, "elasticq_tasks_locked", contender);
    let contender = task_processor!(rt, &sink, LockFreeMsgs);
    bench_contender(&mut group, rt, &sink, "elasticq_tasks_lock_free", contender);
    let contender = ThreadProcessor::start(&sink);
    bench_contender(&mut group, rt, &sink, "elasticq_threads_locked", contender);
    let contender = Channels::unbounded(rt, &sink);
    bench_contender(&mut group, rt, &sink, "mpsc_unbounded", contender);
    let contender = Channels::unbounded_ticked(rt, &sink);
    bench_contender(&mut group, rt, &sink, "mpsc_unbounded_ticked", contender);
    let contender = Channels::bounded(rt, &sink);
    bench_contender(&mut group, rt, &sink, "mpsc_bounded_4096", contender);
    group.finish();
}

fn median(mut figures: Vec<f64>) -> f64 {
    figures.sort_by(f64::total_cmp);
    figures[figures.len() / 2]
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// Median Melem/s of each contender over `ROUNDS` rounds that run them one after the other
/// (after one round to warm up), the mean batch of each, and elasticq's ratio to the
/// `recv_many` peer against the target. The ticked peer is there for the why: it batches the
/// way the processor does. All four live through the whole run; the idle ones' timers (a
/// wake-up per partition per ms) cost the running one well under a percent.
fn same_run_ratio(rt: &Runtime) {
    let sink = Sink::new();
    let locked = task_processor!(rt, &sink, MsgQueue);
    let lock_free = task_processor!(rt, &sink, LockFreeMsgs);
    let peer = Channels::unbounded(rt, &sink);
    let ticked = Channels::unbounded_ticked(rt, &sink);
    let names = [
        "elasticq_tasks_locked",
        "elasticq_tasks_lock_free",
        "mpsc_unbounded",
        "mpsc_unbounded_ticked",
    ];
    let contenders: [&(dyn Fn(Msg) + Sync); 4] = [
        &|m| locked.push(m),
        &|m| lock_free.push(m),
        &|m| peer.push(m),
        &|m| ticked.push(m),
    ];
    let melems = |elapsed: Duration| MESSAGES as f64 / elapsed.as_secs_f64() / 1e6;
    let mut figures = [const { Vec::new() }; 4];
    let mut batches = [0.0; 4];
    for round in 0..=ROUNDS {
        for ((push, figures), batch) in contenders.iter().zip(&mut figures).zip(&mut batches) {
            let before = sink.counts();
            let elapsed = run_once(&sink, push);
            if round > 0 {
                figures.push(melems(elapsed));
                *batch += sink.mean_batch(before) / ROUNDS as f64;
            }
        }
    }
    let figures = figures.map(median);
    let mpsc = figures[2];
    println!();
    println!(
        "processor vs tokio mpsc, {PRODUCERS} producers, {PARTITIONS} partitions, batches of \
         at most {BATCH}, interval {INTERVAL:?}; medians of {ROUNDS} rounds, one iteration of \
         each per round:"
    );
    for ((name, figure), batch) in names.iter().zip(figures).zip(batches) {
        let ratio = figure / mpsc;
        print!("  {name:<25} {figure:>7.2} Melem/s, mean batch {batch:>5.1}, {ratio:.3}x mpsc_unbounded");
        if name.starts_with("elasticq") {
            print!(
                " (target >= {TARGET_RATIO}x: {})",
                verdict(ratio >= TARGET_RATIO)
            );
        }
        println!();
    }
    locked.stop(rt);
    lock_free.stop(rt);
    peer.stop(rt);
    ticked.stop(rt);
}

fn benches() {
    // Modest defaults so the suite stays within a few minutes on a small machine; the command
    // line (`--warm-up-time`, `--measurement-time`) still overrides them.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    // One runtime for every contender, built outside the timed loops.
    let rt = runtime();
    check_routing();
    processor_4p4c(&mut criterion, &rt);
    criterion.final_summary();
    same_run_ratio(&rt);
}

criterion_main!(benches);
