//! An MQTT bridge on a persisted, derived queue, against a real broker.
//!
//! A real MQTT client (rumqttc) subscribes to `elasticq/in/#` on a real `mosquitto`, on a
//! persistent session with manual acknowledgements. Every publish it receives goes into a
//! `ForwardQueue` (`#[derive(ElasticQueue)]`: the MQTT QoS is the priority, the client id the
//! partition key, the queue kept in a write-ahead log), and is acknowledged to the broker only
//! once the log is synced. The processor forwards the queue to `elasticq/out/...` with a
//! second client and acknowledges a batch in the log only once the broker acknowledged each
//! of its publishes.
//!
//! Four clients publish a load at QoS 0, 1 and 2. After a third of it the bridge pauses
//! forwarding, queues what keeps coming, and is stopped without forwarding it; the clients go
//! on publishing while it is down (the broker keeps those for the bridge's session); then
//! the bridge starts again on the same directory, recovers what it had queued from its log
//! and forwards everything. A subscriber of `elasticq/out/#` checks that every QoS 1 and 2
//! publish arrived exactly once, each client's in order per QoS level, and that QoS 0 ones
//! arrived in order (QoS 0 has no acknowledgement: the clients or the broker may drop one).
//! The example exits non-zero if a check fails.
//!
//! Run it with `cargo run --release --example mqtt_bridge` (a few seconds). It starts its own
//! `mosquitto` on a free loopback port (install it with `sudo apt-get install -y mosquitto`),
//! or uses the broker given with `--broker host:port`; `--clients N` and `--per-flow N` set
//! the load.

mod bridge;

use std::error::Error;
use std::net::{SocketAddr, ToSocketAddrs};

use bridge::{BoxError, Broker, InProcess, Load, QoS, Verdict};

struct Args {
    broker: Option<SocketAddr>,
    load: Load,
}

fn usage() -> String {
    "usage: mqtt_bridge [--broker host:port] [--clients N] [--per-flow N]".to_owned()
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        broker: None,
        load: Load {
            clients: 4,
            per_flow: 500,
        },
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut value = || {
            words
                .next()
                .ok_or_else(|| format!("{word} needs a value\n{}", usage()))
        };
        match word.as_str() {
            "--broker" => {
                let value = value()?;
                let addr = value
                    .to_socket_addrs()
                    .map_err(|e| format!("--broker {value}: {e}"))?
                    .next()
                    .ok_or_else(|| format!("--broker {value}: no address"))?;
                args.broker = Some(addr);
            }
            "--clients" => args.load.clients = value()?.parse()?,
            "--per-flow" => args.load.per_flow = value()?.parse()?,
            "--help" | "-h" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {word}\n{}", usage()).into()),
        }
    }
    if args.load.clients == 0 || args.load.per_flow == 0 {
        return Err("--clients and --per-flow must be at least 1".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args().map_err(|e| e.to_string())?;
    // The broker: the one given, or our own mosquitto, stopped when `broker` drops.
    let (addr, broker) = match args.broker {
        Some(addr) => (addr, None),
        None => {
            let program = bridge::find_mosquitto()
                .ok_or_else(|| format!("mosquitto not found; {}", bridge::INSTALL_HINT))?;
            let broker = Broker::start(&program).map_err(|e| e.to_string())?;
            (broker.addr(), Some(broker))
        }
    };
    let load = args.load;
    println!(
        "broker {addr}{}; {} clients x {} publishes at each QoS level to elasticq/in/<client>, \
         forwarded to elasticq/out/<client>",
        if broker.is_some() {
            " (mosquitto started for this run)"
        } else {
            ""
        },
        load.clients,
        load.per_flow,
    );
    let dir = tempfile::tempdir()?;
    let mut host = InProcess::new(addr, dir.path());
    let outcome = match bridge::run(addr, &mut host, load).await {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!(
                "the bridge received {:?} and forwarded {:?} per QoS level; stops: {:?}",
                host.counts.received(),
                host.counts.forwarded(),
                host.stops
            );
            if let Some(broker) = &broker {
                eprintln!("the broker's log:\n{}", broker.log_tail(40));
            }
            return Err(e.to_string().into());
        }
    };
    let verdict = Verdict::of(&outcome.sent, &outcome.received);

    let (received, forwarded) = (host.counts.received(), host.counts.forwarded());
    println!(
        "\n{:<12} {:>9} {:>9} {:>10} {:>9} {:>11} {:>6} {:>9}",
        "QoS", "published", "received", "forwarded", "arrived", "duplicates", "lost", "in order"
    );
    for qos in QoS::ALL {
        let check = &verdict.per_qos[qos.number()];
        println!(
            "{:<12} {:>9} {:>9} {:>10} {:>9} {:>11} {:>6} {:>9}",
            format!("{} {qos:?}", qos.number()),
            check.sent,
            received[qos.number()],
            forwarded[qos.number()],
            check.distinct,
            check.duplicates,
            check.lost,
            if check.reordered == 0 { "yes" } else { "no" },
        );
    }
    println!(
        "(received and forwarded: counted by the bridge over both runs; arrived: distinct \
         publishes on elasticq/out/#)"
    );
    let before = host.stops.first().copied().unwrap_or_default();
    println!(
        "\nrestart: after {} publishes the bridge paused forwarding and was stopped with {} \
         queued ({} left in its log, forwarded {} before); the clients published {} more while \
         it was down; reopened, it recovered {} from the log and forwarded them with the rest",
        outcome.published_at_crash,
        outcome.queued_at_crash,
        before.left_in_log,
        before.processed,
        outcome
            .published_at_restart
            .saturating_sub(outcome.published_at_crash),
        outcome.recovered,
    );
    if before.shutdown_panicked {
        println!(
            "(the processor's shutdown panicked after aborting its workers: a known bug of the \
             runtime; the bridge waited for the workers to let go of the queue)"
        );
    }
    println!(
        "{} publishes arrived in {:.2} s; {} forwards failed and were retried",
        verdict.per_qos.iter().map(|c| c.distinct).sum::<u64>(),
        outcome.elapsed.as_secs_f64(),
        host.counts.failed_forwards(),
    );

    let mut failed = verdict.failures(true);
    if outcome.recovered == 0 || outcome.recovered < outcome.queued_at_crash {
        failed.push(format!(
            "the restart recovered {} publishes, {} were queued when the bridge stopped",
            outcome.recovered, outcome.queued_at_crash
        ));
    }
    if host.counts.ignored() > 0 {
        failed.push(format!(
            "{} publishes on unknown topics",
            host.counts.ignored()
        ));
    }
    if !failed.is_empty() {
        for what in &failed {
            eprintln!("check failed: {what}");
        }
        std::process::exit(1);
    }
    println!(
        "\nok: every QoS 1 and 2 publish arrived exactly once, each client's in order per QoS \
         level, across the restart"
    );
    Ok(())
}
