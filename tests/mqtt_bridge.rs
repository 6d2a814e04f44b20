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
    let load = Load {
        clients: 4,
        per_flow: 150,
    };
    let outcome = bridge::run(broker.addr(), &mut host, load)
        .await
        .expect("the scenario runs");
    let verdict = Verdict::of(&outcome.sent, &outcome.received);
    for qos in QoS::ALL {
        println!("{qos:?}: {:?}", verdict.per_qos[qos.number()]);
    }
    println!(
        "queued at the stop {}, recovered {}",
        outcome.queued_at_crash, outcome.recovered
    );
    let failed = verdict.failures(true);
    assert!(failed.is_empty(), "{failed:?}");
    assert!(outcome.recovered > 0 && outcome.recovered >= outcome.queued_at_crash);
}
