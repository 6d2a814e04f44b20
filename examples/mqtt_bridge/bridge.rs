//! The MQTT bridge's parts, shared by the example (`main.rs` beside this file) and
//! `tests/mqtt_bridge.rs` (which includes this file with `#[path]`).
//!
//! - [`Broker`]: a `mosquitto` child process on a free loopback port, killed on drop.
//! - [`Publisher`]: a real MQTT client (rumqttc) whose publishes can be awaited until the
//!   broker has acknowledged them (`PUBACK` for QoS 1, `PUBCOMP` for QoS 2).
//! - [`Bridge`]: subscribes to `elasticq/in/#` on a persistent session, queues every publish
//!   in a persisted [`ForwardQueue`] (QoS is the priority, the client id the partition key),
//!   and acknowledges it to the broker only once it is on disk; the processor forwards the
//!   queue to `elasticq/out/...` and acknowledges a batch in the log only once the broker
//!   acknowledged every publish of it. So each QoS 1 and 2 publish is forwarded at least once
//!   across a restart, or a kill, of the bridge.
//! - [`Collector`]: subscribes to `elasticq/out/#` and records what arrives.
//! - [`run`]: publishes a load with one client per simulated device while the bridge runs,
//!   stops the bridge the hard way mid-stream with publishes queued, restarts it on the same
//!   directory, and returns what the collector received; [`Verdict`] checks it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use elasticq::{ElasticQueue, Priority, ProcessorHandle, ProcessorOptions};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Errors of the bridge, the broker and the checks: boxed, sendable between tasks.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The topic filter the bridge subscribes to; a publish to `elasticq/in/<client>/<rest>` is
/// forwarded to `elasticq/out/<client>/<rest>`.
pub const IN_PREFIX: &str = "elasticq/in/";
/// Where the bridge forwards to.
pub const OUT_PREFIX: &str = "elasticq/out/";
/// The bridge's MQTT client id: fixed, so that a restarted bridge takes over its session.
pub const BRIDGE_ID: &str = "elasticq-bridge";
/// What bounds every wait of the scenario: reaching it fails a hang, it is no timing check.
pub const HANG: Duration = Duration::from_secs(60);

/// MQTT's quality-of-service levels; a later variant ranks higher, so the processor forwards
/// QoS 2 first (fairly: telemetry is delayed by a flood of commands, never starved).
// The names are the MQTT specification's.
#[allow(clippy::enum_variant_names)]
#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QoS {
    /// QoS 0: no acknowledgement anywhere; the broker and the clients may lose it.
    AtMostOnce,
    /// QoS 1: acknowledged with `PUBACK`; may be delivered twice.
    AtLeastOnce,
    /// QoS 2: `PUBREC`, `PUBREL`, `PUBCOMP`.
    ExactlyOnce,
}

impl QoS {
    /// Every level, lowest first.
    pub const ALL: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

    fn from_mqtt(qos: rumqttc::QoS) -> Self {
        match qos {
            rumqttc::QoS::AtMostOnce => QoS::AtMostOnce,
            rumqttc::QoS::AtLeastOnce => QoS::AtLeastOnce,
            rumqttc::QoS::ExactlyOnce => QoS::ExactlyOnce,
        }
    }

    fn to_mqtt(self) -> rumqttc::QoS {
        match self {
            QoS::AtMostOnce => rumqttc::QoS::AtMostOnce,
            QoS::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
            QoS::ExactlyOnce => rumqttc::QoS::ExactlyOnce,
        }
    }

    /// 0, 1 or 2, as MQTT numbers them.
    pub fn number(self) -> usize {
        self.level()
    }
}

/// A publish the bridge received and is to forward.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    engine = lock_free,
    // Per lane (one partition's QoS level); the broker holds what the lanes cannot take
    // (the bridge acknowledges a publish only once it is queued).
    capacity(initial = 256, min = 256, max = 4_096),
    partitions = 4,
    fair(max_consecutive = 5),
    // The intake syncs the log before it acknowledges publishes to the broker, so the
    // periodic sync only bounds how long the processor's acknowledgements stay unsynced.
    persist(sync = periodic(ms = 20)),
)]
pub struct Forward {
    #[elastic_queue(priority)]
    qos: QoS,
    #[elastic_queue(partition_key)]
    client_id: String,
    /// The topic it is forwarded to.
    topic: String,
    payload: Vec<u8>,
}

impl Forward {
    /// The publish to forward for one received on `topic`, or `None` for a topic outside
    /// `elasticq/in/<client>...`.
    fn from_received(topic: &str, qos: QoS, payload: &[u8]) -> Option<Self> {
        let rest = topic.strip_prefix(IN_PREFIX)?;
        let client_id = rest.split('/').next().filter(|id| !id.is_empty())?;
        Some(Forward {
            qos,
            client_id: client_id.to_owned(),
            topic: format!("{OUT_PREFIX}{rest}"),
            payload: payload.to_vec(),
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error(what: impl fmt::Display) -> BoxError {
    what.to_string().into()
}

// ---------------------------------------------------------------------------------------------
// The broker
// ---------------------------------------------------------------------------------------------

/// How to install the broker, for messages.
pub const INSTALL_HINT: &str = "install Debian's mosquitto package: \
     `sudo apt-get install -y mosquitto` (the tests start it themselves, on a free loopback port)";

/// The `mosquitto` program: on `PATH`, or in the `sbin` folders Debian installs it to (often
/// not on a user's `PATH`).
pub fn find_mosquitto() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("mosquitto"))
        .find(|program| program.is_file())
}

/// A `mosquitto` child process listening on 127.0.0.1, with its config in a temporary
/// directory; killed when dropped.
pub struct Broker {
    child: Child,
    addr: SocketAddr,
    // Holds the config and the log while the broker runs.
    dir: tempfile::TempDir,
}

impl Broker {
    /// Starts `program` on a free loopback port and waits until it accepts connections.
    pub fn start(program: &Path) -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let mut last = String::new();
        // A port found free may be taken before mosquitto binds it: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let config = dir.path().join("mosquitto.conf");
            std::fs::write(
                &config,
                format!(
                    "listener {port} 127.0.0.1\n\
                     allow_anonymous true\n\
                     persistence false\n\
                     # Hold every QoS 1 and 2 message for the bridge's session while it is\n\
                     # down, and QoS 0 ones too.\n\
                     max_queued_messages 1000000\n\
                     queue_qos0_messages true\n\
                     # No window of unacknowledged messages per client: with one (mosquitto\n\
                     # 2.0.11, 100 in flight) QoS 1 and 2 flows arrived out of order and\n\
                     # messages queued for the bridge's session went missing at its restart.\n\
                     max_inflight_messages 0\n\
                     log_dest stderr\n\
                     log_type error\n\
                     log_type warning\n\
                     # Connections and why they ended, for a failure's diagnosis.\n\
                     log_type notice\n\
                     # \"Opening ... listen socket on port N\": the start is this broker's.\n\
                     log_type information\n"
                ),
            )?;
            let log_path = dir.path().join("mosquitto.log");
            let log = std::fs::File::create(&log_path)?;
            let mut child = Command::new(program)
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| error(format!("starting {}: {e}", program.display())))?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(status) = child.try_wait()? {
                    last = format!(
                        "mosquitto exited ({status}): {}",
                        std::fs::read_to_string(&log_path)
                            .unwrap_or_default()
                            .trim()
                    );
                    break;
                }
                // The port answering is not enough: another test's broker may hold it, this
                // one about to exit. Its own log must say it listens there.
                let listening = std::fs::read_to_string(&log_path)
                    .unwrap_or_default()
                    .contains(&format!("listen socket on port {port}"));
                if listening
                    && TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
                {
                    return Ok(Broker { child, addr, dir });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(error("mosquitto did not listen within 10 s"));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(error(last))
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The last `lines` lines of what the broker logged (errors, warnings, connections and
    /// why they ended), for a failure's diagnosis.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("mosquitto.log"))
            .unwrap_or_else(|e| format!("(the broker's log could not be read: {e})"));
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A publisher whose publishes can be awaited
// ---------------------------------------------------------------------------------------------

type Waiter = oneshot::Sender<Result<(), String>>;

/// The publishes between `AsyncClient::publish` and the broker's acknowledgement.
#[derive(Default)]
struct Pending {
    /// Requested, not yet given a packet id by the event loop (in request order).
    requested: VecDeque<Waiter>,
    /// Sent with a packet id, awaiting `PUBACK` / `PUBREC`.
    inflight: HashMap<u16, Waiter>,
    /// QoS 2 publishes that had their `PUBREC`, awaiting `PUBCOMP`, per packet id in order.
    releasing: HashMap<u16, VecDeque<Waiter>>,
    /// A packet id the event loop reported as colliding (`AwaitAck`): its later
    /// `Outgoing::Publish` is that publish, already counted.
    collision: Option<u16>,
    /// Why the connection ended, once it did.
    failed: Option<String>,
}

impl Pending {
    fn fail(&mut self, why: &str) {
        let releasing = self.releasing.drain().flat_map(|(_, waiters)| waiters);
        let inflight = self.inflight.drain().map(|(_, waiter)| waiter);
        for waiter in self.requested.drain(..).chain(inflight).chain(releasing) {
            let _ = waiter.send(Err(why.to_owned()));
        }
        self.failed.get_or_insert_with(|| why.to_owned());
    }
}

/// An MQTT client (clean session) whose every publish returns an [`Acked`] to await.
///
/// rumqttc's `publish` returns once the request is in its channel; the event loop reports
/// `Outgoing::Publish(pkid)` for requests in the order they were made, so the waiters are
/// matched to packet ids in that order, then completed by the broker's `PUBACK` (QoS 1) or
/// `PUBCOMP` (QoS 2). A QoS 0 publish completes once it is written to the connection.
pub struct Publisher {
    client: AsyncClient,
    pending: Arc<Mutex<Pending>>,
    // Keeps "add a waiter" and "send the request" one step, so their orders agree.
    order: tokio::sync::Mutex<()>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A publish on its way; [`Acked::wait`] returns once the broker acknowledged it.
pub struct Acked(oneshot::Receiver<Result<(), String>>);

impl Acked {
    /// Waits for the broker's acknowledgement; an error if the connection ended first.
    pub async fn wait(self) -> Result<(), BoxError> {
        match self.0.await {
            Ok(result) => result.map_err(error),
            Err(_) => Err(error("the publisher's event loop ended")),
        }
    }
}

/// Polls `eventloop` until the broker's `CONNACK`.
async fn connected(eventloop: &mut EventLoop) -> Result<rumqttc::ConnAck, BoxError> {
    let connack = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Packet::ConnAck(connack)) = eventloop.poll().await? {
                return Ok::<_, rumqttc::ConnectionError>(connack);
            }
        }
    })
    .await
    .map_err(|_| error("no CONNACK within 10 s"))??;
    if connack.code != rumqttc::ConnectReturnCode::Success {
        return Err(error(format!(
            "the broker refused the connection: {connack:?}"
        )));
    }
    Ok(connack)
}

fn options(broker: SocketAddr, id: &str) -> MqttOptions {
    let mut options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    options
}

impl Publisher {
    /// Connects as `id` with a clean session.
    pub async fn connect(broker: SocketAddr, id: &str) -> Result<Self, BoxError> {
        let mut options = options(broker, id);
        options.set_clean_session(true).set_inflight(100);
        let (client, mut eventloop) = AsyncClient::new(options, 256);
        connected(&mut eventloop).await?;
        let pending = Arc::new(Mutex::new(Pending::default()));
        let task = tokio::spawn(Self::event_loop(
            id.to_owned(),
            eventloop,
            Arc::clone(&pending),
        ));
        Ok(Publisher {
            client,
            pending,
            order: tokio::sync::Mutex::new(()),
            task: Mutex::new(Some(task)),
        })
    }

    async fn event_loop(id: String, mut eventloop: EventLoop, pending: Arc<Mutex<Pending>>) {
        loop {
            let event = match eventloop.poll().await {
                Ok(event) => event,
                Err(e) => {
                    lock(&pending).fail(&format!("{id}'s connection ended: {e}"));
                    return;
                }
            };
            let mut pending = lock(&pending);
            match event {
                Event::Outgoing(Outgoing::Publish(pkid)) => {
                    if pending.collision == Some(pkid) {
                        pending.collision = None;
                    } else if let Some(waiter) = pending.requested.pop_front() {
                        if pkid == 0 {
                            let _ = waiter.send(Ok(()));
                        } else {
                            pending.inflight.insert(pkid, waiter);
                        }
                    }
                }
                Event::Outgoing(Outgoing::AwaitAck(pkid)) => {
                    if let Some(waiter) = pending.requested.pop_front() {
                        pending.inflight.insert(pkid, waiter);
                        pending.collision = Some(pkid);
                    }
                }
                Event::Incoming(Packet::PubAck(ack)) => {
                    if let Some(waiter) = pending.inflight.remove(&ack.pkid) {
                        let _ = waiter.send(Ok(()));
                    }
                }
                // A QoS 2 publish is done at PUBCOMP: mosquitto hands it to subscribers only
                // on PUBREL, and forgets it if the publisher's clean session ends before.
                // rumqttc reuses a packet id from PUBREC on, so the publishes of one id
                // awaiting PUBCOMP wait in order.
                Event::Incoming(Packet::PubRec(rec)) => {
                    if let Some(waiter) = pending.inflight.remove(&rec.pkid) {
                        pending
                            .releasing
                            .entry(rec.pkid)
                            .or_default()
                            .push_back(waiter);
                    }
                }
                Event::Incoming(Packet::PubComp(comp)) => {
                    let waiter = pending
                        .releasing
                        .get_mut(&comp.pkid)
                        .and_then(VecDeque::pop_front);
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(Ok(()));
                    }
                }
                _ => {}
            }
        }
    }

    /// Publishes `payload` to `topic`; await the result to know the broker has it.
    pub async fn publish(
        &self,
        topic: String,
        qos: QoS,
        payload: Vec<u8>,
    ) -> Result<Acked, BoxError> {
        let _order = self.order.lock().await;
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = lock(&self.pending);
            if let Some(why) = &pending.failed {
                return Err(error(why));
            }
            pending.requested.push_back(tx);
        }
        if let Err(e) = self
            .client
            .publish(topic, qos.to_mqtt(), false, payload)
            .await
        {
            lock(&self.pending).requested.pop_back();
            return Err(e.into());
        }
        Ok(Acked(rx))
    }

    /// Sends `DISCONNECT` after every request made before, and waits for the connection to end.
    pub async fn disconnect(&self) {
        let _order = self.order.lock().await;
        let _ = self.client.disconnect().await;
        let task = lock(&self.task).take();
        if let Some(task) = task {
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                lock(&self.pending).fail("disconnected");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The bridge
// ---------------------------------------------------------------------------------------------

/// Per QoS level, counted by the bridge.
#[derive(Default)]
pub struct Counts {
    received: [AtomicU64; 3],
    forwarded: [AtomicU64; 3],
    /// Forwards that failed and were retried by the processor.
    failed_forwards: AtomicU64,
    /// Publishes on a topic outside `elasticq/in/<client>`, acknowledged and dropped.
    ignored: AtomicU64,
}

impl Counts {
    /// Publishes received from the broker, per QoS level (0, 1, 2).
    pub fn received(&self) -> [u64; 3] {
        self.received.each_ref().map(|n| n.load(Ordering::Relaxed))
    }
    /// Publishes forwarded and acknowledged by the broker, per QoS level.
    pub fn forwarded(&self) -> [u64; 3] {
        self.forwarded.each_ref().map(|n| n.load(Ordering::Relaxed))
    }
    /// Forwards that failed (and were retried).
    pub fn failed_forwards(&self) -> u64 {
        self.failed_forwards.load(Ordering::Relaxed)
    }
    /// Publishes outside the bridge's topics.
    pub fn ignored(&self) -> u64 {
        self.ignored.load(Ordering::Relaxed)
    }
}

/// Why a forward failed; the processor retries the batch.
#[derive(Debug)]
pub struct ForwardError(String);

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "forwarding failed: {}", self.0)
    }
}

/// Whether the processor's batches go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Open,
    /// Batches wait, unacknowledged in the log.
    Paused,
}

/// Forwards `batch` in order and waits until the broker acknowledged all of it.
async fn forward(
    outbound: Arc<Publisher>,
    mut gate: watch::Receiver<Gate>,
    counts: Arc<Counts>,
    batch: Vec<Forward>,
) -> Result<(), ForwardError> {
    // A paused bridge holds its batch here, unacknowledged in the log.
    gate.wait_for(|state| *state == Gate::Open)
        .await
        .map_err(|_| ForwardError("the bridge is gone".into()))?;
    let result = async {
        let mut acks = Vec::with_capacity(batch.len());
        for message in batch.iter() {
            let acked = outbound
                .publish(message.topic.clone(), message.qos, message.payload.clone())
                .await?;
            acks.push((message.qos, acked));
        }
        for (qos, acked) in acks {
            acked.wait().await?;
            counts.forwarded[qos.number()].fetch_add(1, Ordering::Relaxed);
        }
        Ok::<(), BoxError>(())
    }
    .await;
    result.map_err(|e| {
        counts.failed_forwards.fetch_add(1, Ordering::Relaxed);
        ForwardError(e.to_string())
    })
}

/// The bridge: an MQTT subscriber feeding a persisted queue, and the processor forwarding it.
pub struct Bridge {
    queue: Arc<ForwardQueue>,
    processor: ProcessorHandle<ForwardQueue>,
    inbound: AsyncClient,
    inbound_loop: JoinHandle<()>,
    stopping: Arc<AtomicBool>,
    intake: JoinHandle<Result<(), String>>,
    stop_intake: watch::Sender<bool>,
    gate: watch::Sender<Gate>,
    outbound: Arc<Publisher>,
    recovered: u64,
}

/// What [`Bridge::stop`] found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stopped {
    /// Publishes the processor forwarded in this run.
    pub processed: u64,
    /// Publishes left in the log (queued, or in a batch cut off by the drain timeout).
    pub left_in_log: u64,
    /// Whether the processor's `shutdown` panicked (see [`Bridge::stop`]); then `processed`
    /// is unknown (0) and `left_in_log` counts only what was queued.
    pub shutdown_panicked: bool,
}

impl Bridge {
    /// Opens the queue in `dir` (what a previous run left there comes back), connects the
    /// outbound publisher and starts the processor, then takes over the bridge's session
    /// and subscribes to `elasticq/in/#`.
    pub async fn start(
        broker: SocketAddr,
        dir: &Path,
        counts: Arc<Counts>,
    ) -> Result<Self, BoxError> {
        let queue = Arc::new(ForwardQueue::open(dir)?);
        let recovered = queue.persist_stats().recovered;
        let outbound = Arc::new(Publisher::connect(broker, &format!("{BRIDGE_ID}-out")).await?);
        let (gate, gate_rx) = watch::channel(Gate::Open);
        let processor = {
            let (outbound, counts) = (Arc::clone(&outbound), Arc::clone(&counts));
            queue
                .processor()
                .interval(Duration::from_millis(5))
                .batch_size(64)
                .retries(20)
                // Doubled for each retry of a batch: 20 tries wait minutes in all.
                .backoff(Duration::from_millis(20))
                // Not reached: a timed-out shutdown aborts the workers (and the runtime's
                // `shutdown` then awaits again a worker that had finished: it panics), so the
                // bridge never leans on it; `abandon` makes the workers stop instead.
                .timeout(HANG)
                .try_spawn(move |batch: Vec<Forward>| {
                    forward(
                        Arc::clone(&outbound),
                        gate_rx.clone(),
                        Arc::clone(&counts),
                        batch,
                    )
                })?
        };

        let mut options = options(broker, BRIDGE_ID);
        // A persistent session: while the bridge is down, the broker keeps what it is owed,
        // and it sends again every publish the bridge had not acknowledged.
        options.set_clean_session(false).set_manual_acks(true);
        let (inbound, eventloop) = AsyncClient::new(options, 1024);
        // Unbounded: the event loop must never wait for the intake, which waits for the event
        // loop to take its acknowledgements.
        let (received_tx, received_rx) = mpsc::unbounded_channel();
        let (subscribed_tx, subscribed_rx) = oneshot::channel();
        let stopping = Arc::new(AtomicBool::new(false));
        let inbound_loop = tokio::spawn(inbound_loop(
            eventloop,
            received_tx,
            subscribed_tx,
            Arc::clone(&stopping),
        ));
        inbound
            .subscribe(format!("{IN_PREFIX}#"), rumqttc::QoS::ExactlyOnce)
            .await?;
        let (stop_intake, stop_rx) = watch::channel(false);
        let intake = tokio::spawn(intake(
            Arc::clone(&queue),
            inbound.clone(),
            received_rx,
            stop_rx,
            Arc::clone(&counts),
        ));
        let bridge = Bridge {
            queue,
            processor,
            inbound,
            inbound_loop,
            stopping,
            intake,
            stop_intake,
            gate,
            outbound,
            recovered,
        };
        match tokio::time::timeout(Duration::from_secs(10), subscribed_rx).await {
            Ok(Ok(Ok(()))) => Ok(bridge),
            Ok(Ok(Err(why))) => Err(error(why)),
            _ => Err(error("the bridge's subscription was not acknowledged")),
        }
    }

    /// Messages recovered from the log when this run opened it.
    pub fn recovered(&self) -> u64 {
        self.recovered
    }

    /// Publishes queued, not yet taken by the processor.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Holds forwarding: the processor's batches wait, unacknowledged; the intake goes on.
    pub fn pause_forwarding(&self) {
        self.gate.send_replace(Gate::Paused);
    }

    /// Stops the bridge the hard way: nothing more is forwarded. The paused workers hold
    /// their batches until the processor's shutdown times out and aborts them; those batches
    /// and everything queued stay in the log for the next run.
    pub async fn abandon(self) -> Result<Stopped, BoxError> {
        self.gate.send_replace(Gate::Paused);
        self.stop(Duration::from_millis(100)).await
    }

    /// Publishes queued in partition 0, not yet taken by the processor.
    pub fn queued_in_first_partition(&self) -> usize {
        self.queue.len_partition(0)
    }

    /// Stops the bridge. The intake ends after its current batch (queued, synced,
    /// acknowledged to the broker); the subscriber disconnects, so the broker keeps the rest
    /// for the session; the processor forwards what is queued within `drain`, and what it
    /// could not forward stays in the log for the next run. Then the log is closed.
    pub async fn stop(self, drain: Duration) -> Result<Stopped, BoxError> {
        self.stop_intake.send_replace(true);
        let intake = self.intake.await.map_err(error)?;
        self.stopping.store(true, Ordering::SeqCst);
        // Queued after the intake's acknowledgements: they reach the broker first.
        let _ = self.inbound.disconnect().await;
        if tokio::time::timeout(Duration::from_secs(5), self.inbound_loop)
            .await
            .is_err()
        {
            return Err(error("the subscriber did not disconnect"));
        }
        intake.map_err(error)?;
        self.processor
            .update_options(ProcessorOptions::new().timeout(drain))?;
        // In a task of its own: when the drain times out, the runtime's `shutdown` aborts
        // the workers and then awaits each again, also one it had already awaited to its
        // end, which panics in tokio ("JoinHandle polled after completion"). The aborts are
        // made by then, so the bridge waits for the workers to let go of the queue instead.
        let stopped = match tokio::spawn(self.processor.shutdown()).await {
            Ok(report) => Stopped {
                processed: report.stats.processed,
                left_in_log: report.remaining as u64
                    + report.in_progress as u64
                    + report.unprocessed.len() as u64,
                shutdown_panicked: false,
            },
            Err(e) if e.is_panic() => Stopped {
                processed: 0,
                left_in_log: self.queue.len() as u64,
                shutdown_panicked: true,
            },
            Err(e) => return Err(e.into()),
        };
        self.outbound.disconnect().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&self.queue) > 1 {
            if Instant::now() > deadline {
                return Err(error("the processor's workers still hold the queue"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let queue = Arc::into_inner(self.queue).ok_or("the queue is still shared")?;
        // Dropping the last handle syncs and closes the log.
        drop(queue);
        Ok(stopped)
    }
}

/// rumqttc keeps the packet ids of QoS 2 publishes whose `PUBREL` it awaits in memory only,
/// and fails the connection on a `PUBREL` it has not seen the `PUBLISH` of. A restarted bridge
/// takes over a session in which the broker may resend `PUBREL`s for publishes the previous
/// run already queued and `PUBREC`ed; MQTT says to answer each with `PUBCOMP`. So after
/// each `CONNACK` every packet id is marked as awaiting its `PUBREL` (this only makes rumqttc
/// accept one; incoming publishes are delivered whatever the marks).
fn accept_every_pubrel(eventloop: &mut EventLoop) {
    let events = eventloop.state.events.len();
    for pkid in 1..=u16::MAX {
        let mut publish = rumqttc::Publish::new("", rumqttc::QoS::ExactlyOnce, Vec::new());
        publish.pkid = pkid;
        // With manual acks, marking is all it does: it sends nothing.
        let _ = eventloop
            .state
            .handle_incoming_packet(Packet::Publish(publish));
    }
    eventloop.state.events.truncate(events);
}

async fn inbound_loop(
    mut eventloop: EventLoop,
    received: mpsc::UnboundedSender<rumqttc::Publish>,
    subscribed: oneshot::Sender<Result<(), String>>,
    stopping: Arc<AtomicBool>,
) {
    let mut subscribed = Some(subscribed);
    let mut failures = 0;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                failures = 0;
                accept_every_pubrel(&mut eventloop);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                // Once the intake stopped, a publish is dropped unacknowledged (the broker
                // sends it again to the next run); the loop goes on until the disconnect,
                // so that the intake's last acknowledgements are sent.
                let _ = received.send(publish);
            }
            Ok(Event::Incoming(Packet::SubAck(suback))) => {
                let ok = suback
                    .return_codes
                    .iter()
                    .all(|code| matches!(code, rumqttc::SubscribeReasonCode::Success(_)));
                if let Some(subscribed) = subscribed.take() {
                    let _ = subscribed.send(if ok {
                        Ok(())
                    } else {
                        Err(format!("the broker refused the subscription: {suback:?}"))
                    });
                }
            }
            Ok(_) => {}
            Err(e) => {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                // The session survives a dropped connection: poll again to reconnect.
                eprintln!("bridge: the subscriber's connection failed ({e}); reconnecting");
                failures += 1;
                if failures > 50 {
                    if let Some(subscribed) = subscribed.take() {
                        let _ = subscribed.send(Err(format!("cannot connect: {e}")));
                    }
                    eprintln!("bridge: giving up on the broker: {e}");
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Takes what the subscriber received in batches: queues each publish, syncs the log, and
/// only then acknowledges them to the broker.
async fn intake(
    queue: Arc<ForwardQueue>,
    inbound: AsyncClient,
    mut received: mpsc::UnboundedReceiver<rumqttc::Publish>,
    mut stop: watch::Receiver<bool>,
    counts: Arc<Counts>,
) -> Result<(), String> {
    loop {
        let first = tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => return Ok(()),
            first = received.recv() => match first {
                Some(first) => first,
                None => return Ok(()),
            },
        };
        let mut batch = vec![first];
        while batch.len() < 256 {
            match received.try_recv() {
                Ok(publish) => batch.push(publish),
                Err(_) => break,
            }
        }
        for publish in &batch {
            let qos = QoS::from_mqtt(publish.qos);
            match Forward::from_received(&publish.topic, qos, &publish.payload) {
                Some(message) => {
                    queue
                        .push_async(message)
                        .await
                        .map_err(|e| format!("queueing a publish: {e}"))?;
                    counts.received[qos.number()].fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    counts.ignored.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let synced = Arc::clone(&queue);
        tokio::task::spawn_blocking(move || synced.sync())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("syncing the log: {e}"))?;
        for publish in &batch {
            if publish.qos != rumqttc::QoS::AtMostOnce {
                inbound
                    .ack(publish)
                    .await
                    .map_err(|e| format!("acknowledging a publish: {e}"))?;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The collector and the checks
// ---------------------------------------------------------------------------------------------

/// One publisher's flow at one QoS level: what the checks compare.
pub type Flow = (String, QoS);

/// What arrived on `elasticq/out/#`, per flow, in arrival order.
#[derive(Default, Clone)]
pub struct Received {
    /// The seqs of each flow as they arrived.
    pub flows: HashMap<Flow, Vec<u64>>,
    /// Messages whose topic, QoS or payload did not match any publish sent.
    pub unexpected: u64,
    last_at: Option<Instant>,
}

/// A subscriber of the bridge's output.
pub struct Collector {
    client: AsyncClient,
    received: Arc<Mutex<Received>>,
    task: JoinHandle<()>,
}

fn payload(client: &str, qos: QoS, seq: u64) -> Vec<u8> {
    format!("{client} {} {seq}", qos.number()).into_bytes()
}

fn parse(topic: &str, qos: QoS, payload: &[u8]) -> Option<(Flow, u64)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut words = text.split(' ');
    let (client, level, seq) = (words.next()?, words.next()?, words.next()?);
    let ok = words.next().is_none()
        && level.parse::<usize>().ok()? == qos.number()
        && topic == format!("{OUT_PREFIX}{client}");
    ok.then(|| Some(((client.to_owned(), qos), seq.parse().ok()?)))
        .flatten()
}

impl Collector {
    /// Subscribes to `elasticq/out/#` at QoS 2 (so each message arrives at the QoS it was
    /// forwarded with) and returns once the broker acknowledged the subscription.
    pub async fn subscribe(broker: SocketAddr) -> Result<Self, BoxError> {
        let mut options = options(broker, "elasticq-collector");
        options.set_clean_session(true);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        connected(&mut eventloop).await?;
        client
            .subscribe(format!("{OUT_PREFIX}#"), rumqttc::QoS::ExactlyOnce)
            .await?;
        let received = Arc::new(Mutex::new(Received::default()));
        let (subscribed_tx, subscribed_rx) = oneshot::channel();
        let task = tokio::spawn({
            let received = Arc::clone(&received);
            async move {
                let mut subscribed = Some(subscribed_tx);
                while let Ok(event) = eventloop.poll().await {
                    match event {
                        Event::Incoming(Packet::SubAck(_)) => {
                            if let Some(tx) = subscribed.take() {
                                let _ = tx.send(());
                            }
                        }
                        Event::Incoming(Packet::Publish(publish)) => {
                            let qos = QoS::from_mqtt(publish.qos);
                            let mut received = lock(&received);
                            received.last_at = Some(Instant::now());
                            match parse(&publish.topic, qos, &publish.payload) {
                                Some((flow, seq)) => {
                                    received.flows.entry(flow).or_default().push(seq)
                                }
                                None => received.unexpected += 1,
                            }
                        }
                        _ => {}
                    }
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), subscribed_rx)
            .await
            .map_err(|_| error("the collector's subscription was not acknowledged"))?
            .map_err(|_| error("the collector's connection ended"))?;
        Ok(Collector {
            client,
            received,
            task,
        })
    }

    /// What arrived so far.
    pub fn received(&self) -> Received {
        lock(&self.received).clone()
    }

    /// Waits until every QoS 1 and 2 flow of `sent` arrived whole (duplicates aside).
    pub async fn wait_for(&self, sent: &Sent, within: Duration) -> Result<(), BoxError> {
        let deadline = Instant::now() + within;
        loop {
            let complete = {
                let received = lock(&self.received);
                sent.flows.iter().all(|(flow, &count)| {
                    flow.1 == QoS::AtMostOnce
                        || received.flows.get(flow).is_some_and(|seqs| {
                            seqs.iter().collect::<HashSet<_>>().len() as u64 >= count
                        })
                })
            };
            if complete {
                return Ok(());
            }
            if Instant::now() > deadline {
                let received = lock(&self.received);
                let mut short: Vec<String> = sent
                    .flows
                    .iter()
                    .filter(|(flow, _)| flow.1 != QoS::AtMostOnce)
                    .map(|(flow, count)| {
                        let seqs = received.flows.get(flow).map_or(&[][..], Vec::as_slice);
                        let seen = seqs.iter().collect::<HashSet<_>>();
                        let first_missing = (0..*count).find(|seq| !seen.contains(seq));
                        format!(
                            "{} {:?}: {} of {count} (first missing {first_missing:?}, last {:?})",
                            flow.0,
                            flow.1,
                            seen.len(),
                            seqs.last()
                        )
                    })
                    .collect();
                short.sort();
                return Err(error(format!(
                    "the QoS 1 and 2 flows did not all arrive within {within:?}: {}",
                    short.join(", ")
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until nothing arrived for `quiet` (QoS 0 messages have no acknowledgement to
    /// wait for), at most `within`.
    pub async fn settle(&self, quiet: Duration, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let last = lock(&self.received).last_at;
            if last.is_none_or(|last| last.elapsed() >= quiet) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Disconnects.
    pub async fn close(self) {
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// What was published: per flow, seqs `0..count`, each acknowledged by the broker (QoS 1, 2).
#[derive(Default, Clone)]
pub struct Sent {
    /// Publishes per flow.
    pub flows: HashMap<Flow, u64>,
}

/// One flow's comparison of what was sent and what arrived.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FlowCheck {
    /// Publishes sent.
    pub sent: u64,
    /// Distinct publishes received.
    pub distinct: u64,
    /// Arrivals of a publish already received.
    pub duplicates: u64,
    /// Publishes that arrived before one sent earlier (duplicates aside).
    pub reordered: u64,
    /// Sent, never received.
    pub lost: u64,
}

/// The checks over every flow, summed per QoS level.
#[derive(Debug, Default, Clone)]
pub struct Verdict {
    /// Per QoS level (0, 1, 2), the flows' sums.
    pub per_qos: [FlowCheck; 3],
    /// Messages that matched no publish sent.
    pub unexpected: u64,
}

impl Verdict {
    /// Compares, per flow, the arrivals with duplicates removed to the sent sequence.
    pub fn of(sent: &Sent, received: &Received) -> Self {
        let mut verdict = Verdict {
            unexpected: received.unexpected,
            ..Verdict::default()
        };
        for (flow, seqs) in &received.flows {
            if !sent.flows.contains_key(flow) {
                verdict.unexpected += seqs.len() as u64;
            }
        }
        for (flow, &count) in &sent.flows {
            let sum = &mut verdict.per_qos[flow.1.number()];
            let mut check = FlowCheck {
                sent: count,
                ..FlowCheck::default()
            };
            let mut seen = HashSet::new();
            let mut last: Option<u64> = None;
            for &seq in received.flows.get(flow).map(Vec::as_slice).unwrap_or(&[]) {
                if seq >= count {
                    verdict.unexpected += 1;
                } else if !seen.insert(seq) {
                    check.duplicates += 1;
                } else {
                    if last.is_some_and(|last| seq < last) {
                        check.reordered += 1;
                    }
                    last = Some(seq);
                }
            }
            check.distinct = seen.len() as u64;
            check.lost = count - check.distinct;
            sum.sent += check.sent;
            sum.distinct += check.distinct;
            sum.duplicates += check.duplicates;
            sum.reordered += check.reordered;
            sum.lost += check.lost;
        }
        verdict
    }

    /// Every failed check: QoS 1 and 2 flows must arrive whole and in order (duplicates
    /// removed); QoS 0 ones in order, with losses allowed (QoS 0 has no acknowledgement: the
    /// clients, the broker and a stopped bridge may drop it); nothing unexpected; with
    /// `exactly_once`, no duplicates at QoS 1 and 2 either.
    pub fn failures(&self, exactly_once: bool) -> Vec<String> {
        let mut failed = Vec::new();
        for qos in QoS::ALL {
            let check = &self.per_qos[qos.number()];
            if check.reordered > 0 {
                failed.push(format!(
                    "{qos:?}: {} publishes out of order",
                    check.reordered
                ));
            }
            if qos != QoS::AtMostOnce && check.lost > 0 {
                failed.push(format!(
                    "{qos:?}: {} of {} publishes lost",
                    check.lost, check.sent
                ));
            }
            if qos != QoS::AtMostOnce && exactly_once && check.duplicates > 0 {
                failed.push(format!("{qos:?}: {} duplicates", check.duplicates));
            }
        }
        if self.unexpected > 0 {
            failed.push(format!("{} unexpected messages", self.unexpected));
        }
        failed
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

/// Where the bridge runs: in this process, or in a child process (tests/mqtt_bridge.rs).
pub trait Host {
    /// Starts the bridge on its directory; returns what it recovered from its log.
    fn start(&mut self) -> impl Future<Output = Result<u64, BoxError>>;
    /// Pauses forwarding and waits until publishes are queued; returns how many.
    fn pause_until_queued(&mut self) -> impl Future<Output = Result<u64, BoxError>>;
    /// Stops the bridge without forwarding what it queued: that stays in its log.
    fn crash(&mut self) -> impl Future<Output = Result<(), BoxError>>;
    /// Stops the bridge after it forwarded everything queued.
    fn stop(&mut self) -> impl Future<Output = Result<(), BoxError>>;
}

/// The bridge in this process; a restart drops the queue and opens it again.
pub struct InProcess {
    broker: SocketAddr,
    dir: PathBuf,
    bridge: Option<Bridge>,
    /// Shared by every run of the bridge.
    pub counts: Arc<Counts>,
    /// What each stop found.
    pub stops: Vec<Stopped>,
}

impl InProcess {
    /// A bridge for `broker` keeping its log in `dir`.
    pub fn new(broker: SocketAddr, dir: &Path) -> Self {
        InProcess {
            broker,
            dir: dir.to_owned(),
            bridge: None,
            counts: Arc::default(),
            stops: Vec::new(),
        }
    }

    fn running(&mut self) -> Result<&mut Bridge, BoxError> {
        self.bridge
            .as_mut()
            .ok_or_else(|| error("the bridge is not running"))
    }
}

impl Host for InProcess {
    async fn start(&mut self) -> Result<u64, BoxError> {
        let bridge = Bridge::start(self.broker, &self.dir, Arc::clone(&self.counts)).await?;
        let recovered = bridge.recovered();
        self.bridge = Some(bridge);
        Ok(recovered)
    }

    async fn pause_until_queued(&mut self) -> Result<u64, BoxError> {
        let bridge = self.running()?;
        bridge.pause_forwarding();
        let deadline = Instant::now() + HANG;
        // Partition 0 too: its worker, the first the processor's shutdown waits for, is then
        // held at the gate, and the shutdown times out on it first (see `Bridge::stop`).
        while bridge.queued() == 0 || bridge.queued_in_first_partition() == 0 {
            if Instant::now() > deadline {
                return Err(error("nothing was queued while forwarding was paused"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(bridge.queued() as u64)
    }

    async fn crash(&mut self) -> Result<(), BoxError> {
        let bridge = self.bridge.take().ok_or("the bridge is not running")?;
        let stopped = bridge.abandon().await?;
        self.stops.push(stopped);
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), BoxError> {
        let bridge = self.bridge.take().ok_or("the bridge is not running")?;
        let stopped = bridge.stop(HANG).await?;
        self.stops.push(stopped);
        Ok(())
    }
}

/// The demo load: `clients` MQTT clients each publish `per_flow` messages at each QoS level,
/// interleaved, to `elasticq/in/<client>`.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Publishing clients.
    pub clients: usize,
    /// Publishes per client and QoS level.
    pub per_flow: u64,
}

impl Load {
    fn total(&self) -> u64 {
        self.clients as u64 * self.per_flow * 3
    }
}

/// What [`run`] saw.
pub struct Outcome {
    /// What the clients published.
    pub sent: Sent,
    /// What arrived on `elasticq/out/#`.
    pub received: Received,
    /// Publishes queued, not forwarded, when the bridge was stopped mid-stream.
    pub queued_at_crash: u64,
    /// Publishes published (acknowledged by the broker for QoS 1, 2) when it was stopped.
    pub published_at_crash: u64,
    /// Publishes published when it was started again.
    pub published_at_restart: u64,
    /// What the restarted bridge recovered from its log.
    pub recovered: u64,
    /// From the first publish to the last arrival.
    pub elapsed: Duration,
}

/// The queue's partitions (as declared on [`Forward`]).
pub const PARTITIONS: u64 = 4;

/// `count` client ids, the `n`th one routed to partition `n % 4`: so that every partition,
/// partition 0 first, has a client.
pub fn client_ids(count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    let mut candidates = (0..).map(|k: u64| format!("device-{k:02}"));
    for n in 0..count {
        let partition = n as u64 % PARTITIONS;
        let id = candidates
            .by_ref()
            .find(|id| elasticq::stable_hash(id.as_str()) % PARTITIONS == partition);
        ids.extend(id);
    }
    ids
}

async fn publish_flows(
    broker: SocketAddr,
    id: String,
    per_flow: u64,
    published: Arc<AtomicU64>,
) -> Result<(), BoxError> {
    let publisher = Publisher::connect(broker, &id).await?;
    let topic = format!("{IN_PREFIX}{id}");
    let mut acks = VecDeque::new();
    for seq in 0..per_flow {
        for qos in [QoS::ExactlyOnce, QoS::AtMostOnce, QoS::AtLeastOnce] {
            let acked = publisher
                .publish(topic.clone(), qos, payload(&id, qos, seq))
                .await?;
            acks.push_back(acked);
            // A window of publishes awaiting their acknowledgements.
            if acks.len() > 64 {
                if let Some(acked) = acks.pop_front() {
                    acked.wait().await?;
                    published.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    for acked in acks {
        acked.wait().await?;
        published.fetch_add(1, Ordering::Relaxed);
    }
    publisher.disconnect().await;
    Ok(())
}

async fn until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), BoxError> {
    let deadline = Instant::now() + HANG;
    while !done() {
        if Instant::now() > deadline {
            return Err(error(format!("timed out waiting for {what}")));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Publishes `load` through the bridge on `host`: the bridge is stopped the hard way after a
/// third of it (forwarding paused first, so that publishes are queued and not forwarded), the
/// clients go on publishing while it is down (the broker keeps them for its session), and it
/// is started again on its directory after two thirds. Returns once every QoS 1 and 2
/// publish arrived on `elasticq/out/#` and the final stop forwarded what was left.
pub async fn run(
    broker: SocketAddr,
    host: &mut impl Host,
    load: Load,
) -> Result<Outcome, BoxError> {
    // Subscribed before anything is published: nothing forwarded can be missed.
    let collector = Collector::subscribe(broker).await?;
    host.start().await?;
    let started = Instant::now();
    let published = Arc::new(AtomicU64::new(0));
    let ids = client_ids(load.clients);
    let clients: Vec<_> = ids
        .iter()
        .map(|id| {
            tokio::spawn(publish_flows(
                broker,
                id.clone(),
                load.per_flow,
                Arc::clone(&published),
            ))
        })
        .collect();
    let count = || published.load(Ordering::Relaxed);
    let finished = || clients.iter().all(JoinHandle::is_finished);
    until("a third of the load", || {
        count() >= load.total() / 3 || finished()
    })
    .await?;
    let queued_at_crash = host.pause_until_queued().await?;
    let published_at_crash = count();
    host.crash().await?;
    until("two thirds of the load", || {
        count() >= load.total() * 2 / 3 || finished()
    })
    .await?;
    let published_at_restart = count();
    let recovered = host.start().await?;
    for client in clients {
        tokio::time::timeout(HANG, client)
            .await
            .map_err(|_| error("a client did not finish publishing"))???;
    }
    let sent = Sent {
        flows: ids
            .iter()
            .flat_map(|id| QoS::ALL.map(|qos| ((id.clone(), qos), load.per_flow)))
            .collect(),
    };
    collector.wait_for(&sent, HANG).await?;
    host.stop().await?;
    collector
        .settle(Duration::from_millis(300), Duration::from_secs(10))
        .await;
    let received = collector.received();
    let elapsed = received
        .last_at
        .map_or(started.elapsed(), |last| last.duration_since(started));
    collector.close().await;
    Ok(Outcome {
        sent,
        received,
        queued_at_crash,
        published_at_crash,
        published_at_restart,
        recovered,
        elapsed,
    })
}
