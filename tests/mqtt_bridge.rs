//! The MQTT bridge (examples/mqtt_bridge) against a real `mosquitto` started on a free
//! loopback port: every QoS 1 and 2 publish arrives on the output topic, in order per client
//! and QoS level, across a restart of the bridge with publishes queued in its log.
//!
//! Without `mosquitto` the test prints how to install it and passes, unless
//! `ELASTICQ_REQUIRE_MOSQUITTO=1`, when it fails.

// The bridge's module is the example's; the test uses part of it.
#[allow(dead_code)]
#[path = "../examples/mqtt_bridge/bridge.rs"]
mod bridge;

use bridge::{Broker, InProcess, Load, QoS, Verdict};

fn mosquitto() -> Option<std::path::PathBuf> {
    let found = bridge::find_mosquitto();
    if found.is_none() {
        if std::env::var("ELASTICQ_REQUIRE_MOSQUITTO").is_ok_and(|v| v == "1") {
            panic!(
                "mosquitto not found and ELASTICQ_REQUIRE_MOSQUITTO=1; {}",
                bridge::INSTALL_HINT
            );
        }
        eprintln!("skipped: mosquitto not found; {}", bridge::INSTALL_HINT);
    }
    found
}

/// Runs the scenario (4 clients, 150 publishes per flow) through the bridge on `host`, and
/// prints what arrived per QoS level; on an error, with the broker's log.
async fn scenario(
    broker: &Broker,
    host: &mut impl bridge::Host,
    name: &str,
) -> (bridge::Outcome, Verdict) {
    let load = Load {
        clients: 4,
        per_flow: 150,
    };
    let outcome = bridge::run(broker.addr(), host, load)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "the scenario failed: {e}\nbroker log:\n{}",
                broker.log_tail(40)
            )
        });
    let verdict = Verdict::of(&outcome.sent, &outcome.received);
    for qos in QoS::ALL {
        println!("{name}, {qos:?}: {:?}", verdict.per_qos[qos.number()]);
    }
    println!(
        "{name}: queued at the stop {}, recovered {}",
        outcome.queued_at_crash, outcome.recovered
    );
    (outcome, verdict)
}

/// The restart done in this process: forwarding paused, the bridge stopped with publishes
/// queued, the queue dropped and opened again on its directory. Every QoS 1 and 2 publish
/// arrives exactly once, in order; QoS 0 ones in order, some lost (no acknowledgement: those
/// the stopped bridge had received and not queued are gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_restart() {
    let Some(program) = mosquitto() else { return };
    let broker = Broker::start(&program).expect("mosquitto starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut host = InProcess::new(broker.addr(), dir.path());
    let (outcome, verdict) = scenario(&broker, &mut host, "in process").await;
    let failed = verdict.failures(true);
    assert!(failed.is_empty(), "{failed:?}");
    assert!(outcome.recovered > 0 && outcome.recovered >= outcome.queued_at_crash);
}

const CHILD_BROKER: &str = "ELASTICQ_BRIDGE_CHILD_BROKER";
const CHILD_DIR: &str = "ELASTICQ_BRIDGE_CHILD_DIR";
const LINE: &str = "bridge-child ";

/// The child role of `killed_child_restart`: runs the bridge until its stdin closes (then
/// stops it cleanly) or it is killed. Without the environment it is set, it does nothing.
#[test]
fn bridge_child() {
    let (Ok(broker), Ok(dir)) = (std::env::var(CHILD_BROKER), std::env::var(CHILD_DIR)) else {
        return;
    };
    let broker: std::net::SocketAddr = broker.parse().expect("a broker address");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async move {
        let counts = std::sync::Arc::default();
        let bridge = bridge::Bridge::start(broker, std::path::Path::new(&dir), counts)
            .await
            .expect("the bridge starts");
        println!("{LINE}ready {}", bridge.recovered());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(command) = rx.recv().await {
            if command == "pause" {
                bridge.pause_forwarding();
                while bridge.queued() == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                println!("{LINE}queued {}", bridge.queued());
            }
        }
        bridge.stop(bridge::HANG).await.expect("the bridge stops");
        println!("{LINE}stopped");
    });
}

/// The bridge in a child process (this test binary, running `bridge_child`); the restart
/// kills it with SIGKILL.
struct ChildHost {
    broker: std::net::SocketAddr,
    dir: std::path::PathBuf,
    child: Option<(std::process::Child, std::process::ChildStdin)>,
    lines: Option<std::sync::mpsc::Receiver<String>>,
}

impl ChildHost {
    async fn expect(&mut self, word: &str) -> Result<String, bridge::BoxError> {
        let lines = self.lines.as_ref().ok_or("no child")?;
        let deadline = std::time::Instant::now() + bridge::HANG;
        loop {
            match lines.try_recv() {
                Ok(line) => {
                    // The harness may have started the line ("test bridge_child ... ").
                    let said = line.split_once(LINE).map(|(_, said)| said);
                    if let Some(rest) = said.and_then(|said| said.strip_prefix(word)) {
                        return Ok(rest.trim().to_owned());
                    }
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    if std::time::Instant::now() > deadline {
                        return Err(format!("the child did not say {word:?}").into());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    return Err(format!("the child ended before saying {word:?}").into());
                }
            }
        }
    }
}

impl Drop for ChildHost {
    fn drop(&mut self) {
        if let Some((mut child, _)) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl bridge::Host for ChildHost {
    async fn start(&mut self) -> Result<u64, bridge::BoxError> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .args(["bridge_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_BROKER, self.broker.to_string())
            .env(CHILD_DIR, &self.dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // What the child's test harness says, for a failure's diagnosis.
                if !line.contains(LINE) && !line.trim().is_empty() {
                    eprintln!("child: {line}");
                }
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        self.child = Some((child, stdin));
        self.lines = Some(rx);
        Ok(self.expect("ready").await?.parse()?)
    }

    async fn pause_until_queued(&mut self) -> Result<u64, bridge::BoxError> {
        use std::io::Write;
        let (_, stdin) = self.child.as_mut().ok_or("no child")?;
        writeln!(stdin, "pause")?;
        stdin.flush()?;
        Ok(self.expect("queued").await?.parse()?)
    }

    async fn crash(&mut self) -> Result<(), bridge::BoxError> {
        let (mut child, _stdin) = self.child.take().ok_or("no child")?;
        child.kill()?; // SIGKILL
        child.wait()?;
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), bridge::BoxError> {
        let (mut child, stdin) = self.child.take().ok_or("no child")?;
        drop(stdin); // the child stops cleanly at the end of its input
        let said = self.expect("stopped").await;
        let status = child.wait()?;
        said?;
        if !status.success() {
            return Err(format!("the child exited with {status}").into());
        }
        Ok(())
    }
}

/// The restart by SIGKILL: the bridge runs in a child process, paused with publishes queued,
/// killed, and started again on its directory. At least once: a publish acknowledged to the
/// broker but not yet acknowledged in the log may be forwarded twice, so duplicates are
/// allowed (and reported); QoS 1 and 2 flows, duplicates removed, arrive whole and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_child_restart() {
    let Some(program) = mosquitto() else { return };
    let broker = Broker::start(&program).expect("mosquitto starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut host = ChildHost {
        broker: broker.addr(),
        dir: dir.path().to_owned(),
        child: None,
        lines: None,
    };
    let (outcome, verdict) = scenario(&broker, &mut host, "killed child").await;
    let failed = verdict.failures(false);
    assert!(failed.is_empty(), "{failed:?}");
    assert!(outcome.recovered > 0 && outcome.recovered >= outcome.queued_at_crash);
}
