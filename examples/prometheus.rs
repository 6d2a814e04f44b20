//! Exporting a queue's metrics to Prometheus: `/metrics` over HTTP.
//!
//! Two labelled queues report through the `metrics` facade into a Prometheus recorder: an
//! MQTT broker's outgoing publishes (`metrics = "mqtt_publish"`: four partitions keyed by
//! client, three priority levels from the QoS) and a persisted outbox (`metrics = "outbox"`,
//! a write-ahead log in a temporary directory). Producer threads fill both while a processor
//! drains each one; the publish processor's first calls fail, as a broker's do while a
//! subscriber reconnects, and are retried. A plain consumer then pops one message at a time,
//! a few messages are left queued, and a publish after `close` is refused, so every series
//! (counters, gauges, both histograms, per partition and per priority level, and the log's
//! bytes and syncs) has something to show.
//!
//! A tiny HTTP/1.1 server on `std::net` then answers `GET /metrics` with the exposition text
//! (anything else is a 404), so Prometheus, or `curl`, can scrape it:
//!
//! ```text
//! cargo run --release --example prometheus                       # serves 5 s, then exits
//! cargo run --release --example prometheus -- --addr 127.0.0.1:9898 --seconds 60
//! curl -s http://127.0.0.1:9898/metrics | grep mqtt_publish
//! ```
//!
//! `--seconds 0` serves until the process is interrupted. `tests/prometheus_scrape.rs` runs
//! the same workload and server and scrapes it with an HTTP client.

use std::error::Error;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use elasticq::{ElasticQueue, Priority, ProcessorStats, PushError};
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// Producer threads publishing into the broker's queue.
pub const PRODUCERS: u64 = 4;
/// Publishes each producer sends.
pub const PER_PRODUCER: u64 = 5_000;
/// Distinct clients the publishes go to (the partition key).
pub const CLIENTS: u64 = 32;
/// The first calls of the publish processor's function that fail (and are retried).
pub const FLAKY_CALLS: u32 = 3;
/// Publishes a plain consumer then pushes and pops one at a time, after the processor.
pub const TAIL: u64 = 512;
/// Of those, how many are left queued (the depth gauges show them).
pub const RETAINED: u64 = 3;
/// Events pushed into the persisted outbox.
pub const OUTBOX_EVENTS: u64 = 1_000;

/// An MQTT quality of service: one priority level each, a later variant ranking higher.
// The names are the MQTT specification's.
#[allow(clippy::enum_variant_names)]
#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QoS {
    /// Fire and forget (level 0).
    AtMostOnce,
    /// Acknowledged (level 1).
    AtLeastOnce,
    /// Four-way handshake (level 2).
    ExactlyOnce,
}

/// A message the broker is to send to one client.
///
/// Each lane (a partition's priority level) holds at most 8,192: more than the producers can
/// queue, so no push of theirs is refused and the counters are exact whatever the timing.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    partitions = 4,
    capacity(initial = 16, max = 8_192),
    metrics = "mqtt_publish"
)]
pub struct Publish {
    /// The QoS it was published with: its priority level.
    #[elastic_queue(priority)]
    pub qos: QoS,
    /// The receiving client: its partition, so one client's messages stay in order.
    #[elastic_queue(partition_key)]
    pub client_id: String,
    /// The topic it was published on.
    pub topic: String,
    /// The payload.
    pub payload: Vec<u8>,
}

/// An event waiting in the outbox to be relayed to another service; the log keeps it until
/// the relay acknowledged it. `sync = none` leaves syncing to the OS and to `sync()`.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none), metrics = "outbox", name = OutboxQueue)]
pub struct Event {
    /// Its number, from 0.
    pub seq: u64,
    /// What happened.
    pub body: String,
}

/// The processor function's error: the subscriber was not reachable.
#[derive(Debug)]
pub struct SubscriberUnavailable;

impl fmt::Display for SubscriberUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("subscriber unavailable")
    }
}

impl Error for SubscriberUnavailable {}

/// The queues after [`run_workload`], still alive so the background publisher keeps their
/// series current, and what their processors reported.
///
/// Fields drop in order: the queues (publishing their last values) before anything else.
pub struct Workload {
    /// The broker's queue (`queue="mqtt_publish"`), closed, with [`RETAINED`] messages left.
    pub publishes: Arc<PublishQueue>,
    /// The persisted outbox (`queue="outbox"`), emptied by its processor.
    pub outbox: Arc<OutboxQueue>,
    /// The publish processor's final counters.
    pub publish_processor: ProcessorStats,
    /// The outbox processor's final counters.
    pub outbox_processor: ProcessorStats,
}

/// Installs the Prometheus recorder as the global `metrics` recorder. Call it before building
/// any labelled queue: a queue registers its series with the recorder installed when it is
/// built, and one built earlier reports nowhere.
///
/// Without the exporter's HTTP listener nothing drains the histograms' samples between
/// scrapes, so a background thread does that every few seconds (a scrape drains them too).
pub fn install_recorder() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new().install_recorder()?;
    let upkeep = handle.clone();
    // Like elasticq's own publisher: without the thread the exposition is still right,
    // only the histograms' buffers grow until the next scrape.
    let _ = thread::Builder::new()
        .name("prometheus-upkeep".to_owned())
        .spawn(move || loop {
            thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        });
    Ok(handle)
}

/// Runs the workload that gives every series data, on queues opened now (so with the
/// recorder installed now) and the outbox's log in `dir`. Returns once both processors shut
/// down and the queues' series were published.
pub fn run_workload(dir: &Path) -> Result<Workload, Box<dyn Error>> {
    // The processors run on tokio; the producers and the consumer are plain threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let publishes = Arc::new(PublishQueue::new()?);
    let outbox = Arc::new(OutboxQueue::open(dir)?);

    let calls = Arc::new(AtomicU64::new(0));
    let (publish_processor, outbox_processor) = {
        // `try_spawn` needs the runtime's context (and returns its absence as an error).
        let _context = runtime.enter();
        let publish_processor = publishes
            .processor()
            .interval(Duration::from_millis(5))
            .batch_size(256)
            .retries(FLAKY_CALLS)
            .backoff(Duration::from_millis(1))
            .try_spawn(move |batch: Vec<Publish>| {
                let calls = Arc::clone(&calls);
                async move {
                    // The first calls fail, whichever batches they carry; each failed batch
                    // is retried, so the failures counter ends at exactly FLAKY_CALLS.
                    if calls.fetch_add(1, Ordering::Relaxed) < u64::from(FLAKY_CALLS) {
                        return Err(SubscriberUnavailable);
                    }
                    // Sending to the subscribers would go here.
                    std::hint::black_box(batch);
                    Ok(())
                }
            })?;
        let outbox_processor = outbox
            .processor()
            .interval(Duration::from_millis(5))
            .batch_size(100)
            .try_spawn(|events: Vec<Event>| async move {
                // Relaying the events would go here; the log acknowledges them after `Ok`.
                std::hint::black_box(events);
                Ok::<(), SubscriberUnavailable>(())
            })?;
        (publish_processor, outbox_processor)
    };

    let mut producers: Vec<JoinHandle<Result<(), String>>> = (0..PRODUCERS)
        .map(|producer| {
            let publishes = Arc::clone(&publishes);
            thread::spawn(move || produce(&publishes, producer))
        })
        .collect();
    let events = Arc::clone(&outbox);
    producers.push(thread::spawn(move || {
        for seq in 0..OUTBOX_EVENTS {
            let body = format!("order {seq} confirmed");
            events
                .push(Event { seq, body })
                .map_err(|refused| format!("outbox push {seq}: {refused}"))?;
        }
        Ok(())
    }));
    for producer in producers {
        producer.join().map_err(|_| "a producer panicked")??;
    }

    // Shutdown processes what is still queued, then stops the workers.
    let publish_report = runtime.block_on(publish_processor.shutdown());
    let outbox_report = runtime.block_on(outbox_processor.shutdown());
    if !publish_report.is_complete() || !outbox_report.is_complete() {
        return Err("a processor's shutdown left messages unprocessed".into());
    }

    // A consumer popping one message at a time: `push` and `pop` are what the operation
    // histogram times (one in 256 per thread), the processor's batches are not. A fresh
    // thread starts its count at zero, so its 512 pushes and 509 pops are sampled 3 times.
    let consumer = Arc::clone(&publishes);
    thread::spawn(move || consume_one_by_one(&consumer))
        .join()
        .map_err(|_| "the consumer panicked")??;

    // A closed queue refuses every push: the rejected counter's one.
    publishes.close();
    let late = publish(PRODUCERS, 0);
    if publishes.push(late).is_ok() {
        return Err("a closed queue accepted a publish".into());
    }

    // With `sync = none` only this syncs the log: the fsync counter's data.
    outbox.sync()?;
    publishes.publish_metrics();
    outbox.publish_metrics();
    Ok(Workload {
        publishes,
        outbox,
        publish_processor: publish_report.stats,
        outbox_processor: outbox_report.stats,
    })
}

/// The `seq`-th publish of `producer` (the tail's are `producer = PRODUCERS`): clients and
/// QoS levels in turn.
pub fn publish(producer: u64, seq: u64) -> Publish {
    let n = producer * PER_PRODUCER + seq;
    let qos = match n % 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    };
    Publish {
        qos,
        client_id: format!("client-{}", n % CLIENTS),
        topic: format!("sensors/{}/temperature", n % 10),
        payload: n.to_le_bytes().to_vec(),
    }
}

fn produce(publishes: &PublishQueue, producer: u64) -> Result<(), String> {
    for seq in 0..PER_PRODUCER {
        // The lanes are large enough for everything (see `Publish`), so a refusal is a bug.
        publishes
            .push(publish(producer, seq))
            .map_err(|refused: PushError<Publish>| {
                format!("producer {producer}, publish {seq}: {refused}")
            })?;
    }
    Ok(())
}

fn consume_one_by_one(publishes: &PublishQueue) -> Result<(), String> {
    for seq in 0..TAIL {
        publishes
            .push(publish(PRODUCERS, seq))
            .map_err(|refused| format!("tail publish {seq}: {refused}"))?;
    }
    for popped in 0..TAIL - RETAINED {
        if publishes.pop().is_none() {
            return Err(format!("the queue ran dry after {popped} pops"));
        }
    }
    Ok(())
}

/// The exposition format's content type (text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves `handle`'s exposition on `listener` from a new thread: `GET /metrics` (or `HEAD`)
/// answers 200 with the rendered text, any other path 404, another method on `/metrics` 405,
/// a request that is not HTTP 400. One request per connection (`Connection: close`), one
/// connection at a time: a scrape is small, and a client that stalls is cut off by the
/// timeouts rather than given a thread of its own.
pub fn serve(listener: TcpListener, handle: PrometheusHandle) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("metrics-http".to_owned())
        .spawn(move || {
            for stream in listener.incoming() {
                let outcome = stream.and_then(|stream| respond(stream, &handle));
                if let Err(error) = outcome {
                    // A client that went away or sent nothing costs it its response only; an
                    // accept that fails (out of descriptors) is retried after a pause.
                    eprintln!("metrics-http: {error}");
                    thread::sleep(Duration::from_millis(10));
                }
            }
        })
}

/// The most a request's head may take; a scrape's is a few hundred bytes.
const MAX_HEAD: usize = 8 * 1024;

fn respond(mut stream: TcpStream, handle: &PrometheusHandle) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let head = read_head(&mut stream)?;
    let request_line = head.lines().next().unwrap_or_default();
    let mut words = request_line.split(' ');
    let (method, target, version) = (words.next(), words.next(), words.next());
    let response = match (method, target, version) {
        (Some(method), Some(target), Some(version)) if version.starts_with("HTTP/1.") => {
            // Prometheus may add parameters (`?name[]=...`); the whole exposition answers.
            let path = target.split(['?', '#']).next().unwrap_or(target);
            match (path, method) {
                ("/metrics", "GET" | "HEAD") => Response::new(200, "OK", handle.render())
                    .content_type(CONTENT_TYPE)
                    .head_only(method == "HEAD"),
                ("/metrics", _) => Response::new(405, "Method Not Allowed", "GET or HEAD\n")
                    .header("Allow", "GET, HEAD"),
                _ => Response::new(404, "Not Found", "not found: scrape /metrics\n"),
            }
        }
        _ => Response::new(400, "Bad Request", "not an HTTP/1.x request\n"),
    };
    stream.write_all(&response.into_bytes())?;
    stream.flush()?;
    // Closing our side ends the response for a client that reads to the end of the stream.
    stream.shutdown(std::net::Shutdown::Write)
}

/// Reads up to the blank line that ends the request's head (a GET has no body).
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            break; // the client finished sending: answer what came
        }
        head.extend_from_slice(&chunk[..read]);
        if head.windows(4).any(|window| window == b"\r\n\r\n")
            || head.windows(2).any(|window| window == b"\n\n")
        {
            break;
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head over 8 KiB",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// An HTTP/1.1 response with a body and `Connection: close`.
struct Response {
    status: u16,
    reason: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
    head_only: bool,
}

impl Response {
    fn new(status: u16, reason: &'static str, body: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            headers: vec![("Content-Type", "text/plain; charset=utf-8")],
            body: body.into(),
            head_only: false,
        }
    }

    fn content_type(mut self, value: &'static str) -> Self {
        self.headers[0].1 = value;
        self
    }

    fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// A HEAD response: the GET's headers, Content-Length included, without the body.
    fn head_only(mut self, head_only: bool) -> Self {
        self.head_only = head_only;
        self
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        if !self.head_only {
            out.push_str(&self.body);
        }
        out.into_bytes()
    }
}

/// `--addr HOST:PORT` (default 127.0.0.1:9898) and `--seconds N` (default 5; 0: until
/// interrupted).
struct Options {
    addr: SocketAddr,
    seconds: u64,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 9898)),
            seconds: 5,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--addr" => {
                    let value = value()?;
                    options.addr = value
                        .parse()
                        .map_err(|error| format!("--addr {value}: {error}"))?;
                }
                "--seconds" => {
                    let value = value()?;
                    options.seconds = value
                        .parse()
                        .map_err(|error| format!("--seconds {value}: {error}"))?;
                }
                _ => {
                    return Err(format!(
                        "unknown argument {arg:?}; usage: prometheus [--addr HOST:PORT] \
                         [--seconds N]"
                    ))
                }
            }
        }
        Ok(options)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::parse(std::env::args().skip(1))?;
    // First of all: the queues below register their series with this recorder.
    let handle = install_recorder()?;
    // Before the workload, so a port in use fails at once.
    let listener = TcpListener::bind(options.addr)
        .map_err(|error| format!("cannot listen on {}: {error}", options.addr))?;
    let dir = tempfile::tempdir()?;
    let workload = run_workload(dir.path())?;

    let publishes = workload.publishes.stats();
    let log = workload.outbox.persist_stats();
    let processor = &workload.publish_processor;
    println!(
        "mqtt_publish: {} enqueued, {} dequeued, {} rejected, {} resizes, {} left; processor: \
         {} batches, {} failures, {} retries",
        publishes.enqueued,
        publishes.dequeued,
        publishes.rejected,
        publishes.resizes,
        publishes.len,
        processor.batches,
        processor.failures,
        processor.retries,
    );
    println!(
        "outbox: {} events relayed in {} batches; log wrote {} bytes, {} fsyncs",
        workload.outbox_processor.processed,
        workload.outbox_processor.batches,
        log.bytes_written,
        log.fsyncs,
    );

    let addr = listener.local_addr()?;
    let _server = serve(listener, handle.clone())?;

    // Part of what a scrape answers: the queue-wide series and the histograms' counts (the
    // per-partition and per-level series, quantiles and sums are left to the scrape).
    let exposition = handle.render();
    let mut lines: Vec<&str> = exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter(|line| {
            !["partition=", "priority=", "quantile=", "_sum{"]
                .iter()
                .any(|skip| line.contains(skip))
        })
        .collect();
    lines.sort_unstable();
    println!(
        "\n{} series lines in the exposition, among them:",
        exposition
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .count()
    );
    for line in lines {
        println!("  {line}");
    }

    println!("\nlistening on {addr}");
    println!("scrape http://{addr}/metrics   e.g. curl -s http://{addr}/metrics");
    if options.seconds == 0 {
        println!("serving until interrupted");
        loop {
            thread::park();
        }
    }
    println!("serving for {} s", options.seconds);
    thread::sleep(Duration::from_secs(options.seconds));
    // The queues publish their last values as they drop, and the log is removed with `dir`.
    drop(workload);
    drop(dir);
    Ok(())
}
