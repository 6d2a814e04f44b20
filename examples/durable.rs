//! A durable queue that survives being killed.
//!
//! The example runs itself twice. The child process opens a persisted queue, pushes orders
//! under `sync = every_write` and handles some with acknowledged deliveries, printing each
//! push once it returned `Ok` and each acknowledgement once it returned; the parent kills it
//! with SIGKILL mid-stream. The parent then reopens the queue and checks what the guarantees
//! promise: every push that returned `Ok` is there exactly once, in order, except the orders
//! whose acknowledgement returned, which never come back.
//!
//! ```text
//! cargo run --release --example durable
//! ```

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write))]
struct Order {
    id: u64,
    customer: String,
    cents: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if let (Some(role), Some(dir)) = (args.next(), args.next()) {
        if role == "child" {
            return child(&dir);
        }
    }
    let dir = std::env::temp_dir().join(format!("elasticq-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    // The child: pushes and handles orders until it is killed.
    let mut child = Command::new(std::env::current_exe()?)
        .arg("child")
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("the child has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut pushed = Vec::new();
    let mut acked = BTreeSet::new();
    let started = Instant::now();
    let run_for = Duration::from_millis(400);
    while started.elapsed() < run_for {
        match lines.next() {
            Some(line) => record(&line?, &mut pushed, &mut acked),
            None => break,
        }
    }
    child.kill()?; // SIGKILL: no destructor, no flush, no goodbye
    child.wait()?;
    // Lines the child printed before it died count: each was printed after the call returned.
    for line in lines {
        record(&line?, &mut pushed, &mut acked);
    }
    println!(
        "killed the child after {:?}: {} pushes and {} acknowledgements had returned",
        started.elapsed(),
        pushed.len(),
        acked.len()
    );

    // The parent: reopen and check.
    let orders = OrderQueue::open(&dir)?;
    let stats = orders.persist_stats();
    let recovered: Vec<u64> = orders.drain().into_iter().map(|order| order.id).collect();
    let expected: Vec<u64> = pushed
        .iter()
        .copied()
        .filter(|id| !acked.contains(id))
        .collect();
    let in_order = recovered.windows(2).all(|pair| pair[0] < pair[1]);
    let missing: Vec<u64> = expected
        .iter()
        .copied()
        .filter(|id| recovered.binary_search(id).is_err())
        .collect();
    let resurrected: Vec<u64> = recovered
        .iter()
        .copied()
        .filter(|id| acked.contains(id))
        .collect();
    println!(
        "reopened: {} orders recovered ({} cut from a torn tail), in order: {in_order}",
        stats.recovered,
        stats.cuts.len()
    );
    println!(
        "every Ok push is there: {}; no acknowledged order came back: {}",
        missing.is_empty(),
        resurrected.is_empty()
    );
    drop(orders);
    std::fs::remove_dir_all(&dir)?;
    if !in_order || !missing.is_empty() || !resurrected.is_empty() {
        return Err(format!("lost {missing:?}, resurrected {resurrected:?}").into());
    }
    Ok(())
}

fn record(line: &str, pushed: &mut Vec<u64>, acked: &mut BTreeSet<u64>) {
    let mut words = line.split_whitespace();
    let (Some(kind), Some(Ok(id))) = (words.next(), words.next().map(str::parse::<u64>)) else {
        return;
    };
    match kind {
        "pushed" => pushed.push(id),
        "acked" => {
            acked.insert(id);
        }
        _ => {}
    }
}

/// Pushes orders, and handles every other one with an acknowledged delivery, until killed.
fn child(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let orders = OrderQueue::open(dir)?;
    let mut out = std::io::stdout().lock();
    for id in 0.. {
        let order = Order {
            id,
            customer: format!("customer-{}", id % 7),
            cents: 100 + id % 900,
        };
        orders.push(order)?;
        writeln!(out, "pushed {id}")?;
        out.flush()?;
        if id % 2 == 1 {
            if let Some(delivery) = orders.pop_delivery() {
                let handled = delivery.ack().map_err(|failed| failed.to_string())?;
                writeln!(out, "acked {}", handled.id)?;
                out.flush()?;
            }
        }
    }
    Ok(())
}
