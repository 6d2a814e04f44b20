//! Crash at every operation boundary in turn, recover, and check against the model.
//!
//! For each scenario, a first run counts the file operations it makes (`n`, including the
//! queue's last sync when it is dropped). Then, for every `k` in `0..=n`, the scenario runs
//! again with the process dying at operation `k`, and the disk is taken as the crash leaves
//! it three ways: nothing unsynced kept, everything kept, and a seeded random choice of
//! whole, lost and torn writes and kept or lost directory operations. Each time:
//! - `open` succeeds with the declaration that wrote the log;
//! - the recovered messages pass [`Model::check`](super::scenario::Model::check): every
//!   push that returned `Ok` under `every_write` is there (unless acknowledged), in order
//!   per lane, at most once; nothing refused or durably acknowledged is there;
//! - a second `open` after draining finds an empty log and cuts nothing.

use super::scenario::{self, ids, Engine, LockFree, Locked, Step};
use super::sim::{SimFs, Survival};
use crate::persist::SyncPolicy;

/// Runs `steps` crashing at `crash` (or not at all), recovers the disk as `survival`
/// leaves it, and checks. Returns the operations the run made.
fn crash_and_check<E: Engine>(
    policy: SyncPolicy,
    steps: &[Step],
    crash: Option<u64>,
    survival: Survival,
) -> Result<u64, String> {
    let fs = SimFs::new();
    let queue = scenario::open::<E>(&fs, policy).map_err(|e| format!("first open: {e}"))?;
    if let Some(k) = crash {
        fs.crash_at(k);
    }
    let model = scenario::run(&fs, policy, queue, steps);
    let ops = fs.ops();
    let after = fs.after_crash(survival);
    let queue = scenario::open::<E>(&after, policy)
        .map_err(|e| format!("open after the crash failed: {e}\n{:#?}", after.listing()))?;
    let recovered = scenario::drain(&queue);
    model
        .check(&recovered)
        .map_err(|e| format!("{e}\nrecovered {:?}", ids(&recovered)))?;
    drop(queue);
    let queue = scenario::open::<E>(&after, policy).map_err(|e| format!("second open: {e}"))?;
    if !queue.is_empty() {
        return Err(format!(
            "a drained queue reopened with {:?}",
            ids(&scenario::drain(&queue))
        ));
    }
    if !queue.persist_stats().cuts.is_empty() {
        return Err(format!(
            "a clean log was cut: {:?}",
            queue.persist_stats().cuts
        ));
    }
    Ok(ops)
}

/// Crashes `steps` at every operation (`every` = 1) or every `every`-th one; returns the
/// number of crash points explored (each under three survivals).
fn explore<E: Engine>(policy: SyncPolicy, seed: u64, steps: &[Step], every: u64) -> u64 {
    let total = crash_and_check::<E>(policy, steps, None, Survival::Nothing)
        .unwrap_or_else(|e| panic!("seed {seed}, {policy:?}, no crash: {e}"));
    let mut explored = 0;
    let mut k = 0;
    while k <= total {
        for survival in [
            Survival::Nothing,
            Survival::Everything,
            Survival::Random(seed ^ (k << 20) ^ 0x5EED),
        ] {
            if let Err(e) = crash_and_check::<E>(policy, steps, Some(k), survival) {
                panic!(
                    "seed {seed}, {policy:?}, crash at operation {k} of {total}, {survival:?}: {e}\nsteps: {steps:?}"
                );
            }
        }
        explored += 1;
        k += every;
    }
    explored
}

#[test]
fn every_write_survives_a_crash_at_every_operation() {
    let mut points = 0;
    for seed in 1..=12 {
        let steps = scenario::steps(seed, 40);
        points += explore::<Locked>(SyncPolicy::EveryWrite, seed, &steps, 1);
    }
    eprintln!("every_write: {points} crash points explored exhaustively, 3 survivals each");
    assert!(points > 500, "the scenarios make file operations: {points}");
}

#[test]
fn policy_none_survives_a_crash_at_every_operation() {
    let mut points = 0;
    for seed in 101..=108 {
        let steps = scenario::steps(seed, 40);
        points += explore::<Locked>(SyncPolicy::None, seed, &steps, 1);
    }
    eprintln!("none: {points} crash points explored exhaustively, 3 survivals each");
    assert!(points > 100, "the scenarios make file operations: {points}");
}

#[test]
fn long_scenarios_survive_sampled_crashes() {
    let mut points = 0;
    for seed in 201..=203 {
        let steps = scenario::steps(seed, 400);
        points += explore::<Locked>(SyncPolicy::EveryWrite, seed, &steps, 7);
    }
    eprintln!("every_write, 400 calls: {points} crash points sampled, 3 survivals each");
    assert!(points > 100, "the scenarios make file operations: {points}");
}
/// A delivery held while the log rolls through several segments pins them all; its ack
/// frees them at once, so several deletions follow each other, each of which must be durable
/// before the next (a lost earlier one in front of a kept later one looks like lost records).
#[test]
fn segments_freed_together_are_deleted_in_order() {
    let mut steps = vec![Step::Push(scenario::msg(1, 0, 0, 10)), Step::PopDelivery];
    for id in 2..16 {
        steps.push(Step::Push(scenario::msg(id, 0, 0, 900)));
        steps.push(Step::Pop);
    }
    steps.push(Step::Ack(0));
    for id in 16..20 {
        steps.push(Step::Push(scenario::msg(id, 0, 1, 900)));
    }
    let points = explore::<Locked>(SyncPolicy::EveryWrite, 7, &steps, 1);
    eprintln!("segments freed together: {points} crash points explored, 3 survivals each");
}

/// A delivery handed back with `nack` writes nothing: wherever the process dies (before or
/// after the nack, while the message waits at the front of its lane, after it was taken and
/// acknowledged again), the message comes back once unless its acknowledgement was durable.
#[test]
fn a_nacked_delivery_comes_back_once_after_a_crash_at_every_operation() {
    use Step::*;
    let m = |id, key, level| Push(scenario::msg(id, key, level, 10));
    let steps = vec![
        m(1, 0, 0),
        m(2, 0, 0),
        m(3, 1, 1),
        m(4, 2, 0),
        PopDelivery,
        PopDelivery,
        Nack(1),
        Nack(0),
        PopDelivery,
        Nack(0),
        PopDelivery,
        PopDelivery,
        Ack(1),
        m(5, 0, 0),
        Pop,
        PopDelivery,
        Nack(0),
        Nack(0),
        PopBatch(2),
        PopDelivery,
        DropDelivery(0),
        PopDelivery,
        Ack(0),
    ];
    let mut points = explore::<Locked>(SyncPolicy::EveryWrite, 11, &steps, 1);
    points += explore::<LockFree>(SyncPolicy::EveryWrite, 12, &steps, 1);
    points += explore::<Locked>(SyncPolicy::None, 13, &steps, 1);
    eprintln!("nack: {points} crash points explored, 3 survivals each");
}

/// The lock-free engine refuses some pushes the room check let through, so these take the
/// path that withdraws a record already written: voided in the buffer, or acknowledged and
/// synced.
#[test]
fn lock_free_lanes_survive_a_crash_at_every_operation() {
    let mut points = 0;
    for seed in 401..=406 {
        let steps = scenario::steps(seed, 40);
        points += explore::<LockFree>(SyncPolicy::EveryWrite, seed, &steps, 1);
        points += explore::<LockFree>(SyncPolicy::None, seed, &steps, 1);
    }
    eprintln!("lock-free lanes: {points} crash points explored exhaustively, 3 survivals each");
    assert!(points > 300, "the scenarios make file operations: {points}");
}

/// A killed process keeps the page cache: the next one recovers writes that no sync made
/// durable, and must make them durable before it builds on them. Each scenario is killed at
/// every operation in turn, restarted on the surviving page cache, runs more calls, and then
/// the machine loses power; the recovered queue is checked against the model of both runs.
#[test]
fn a_restart_after_a_kill_then_a_power_loss_keeps_every_promise() {
    let mut points = 0;
    for seed in 501..=506 {
        let first = scenario::steps(seed, 30);
        let policy = SyncPolicy::EveryWrite;
        let total = crash_and_check::<Locked>(policy, &first, None, Survival::Nothing)
            .unwrap_or_else(|e| panic!("seed {seed}, no crash: {e}"));
        for k in 0..=total {
            let fs = SimFs::new();
            let queue = scenario::open::<Locked>(&fs, policy).unwrap();
            fs.crash_at(k);
            let model = scenario::run(&fs, policy, queue, &first).killed();
            let restarted = fs.restart();
            let queue = scenario::open::<Locked>(&restarted, policy)
                .unwrap_or_else(|e| panic!("seed {seed}, killed at {k}: restart failed: {e}"));
            let second = scenario::steps_after(seed ^ 0xABCD, 20, model.last_id());
            let model = scenario::run_from(model, &restarted, policy, queue, &second);
            for survival in [Survival::Nothing, Survival::Random(seed ^ k)] {
                let after = restarted.after_crash(survival);
                let queue = scenario::open::<Locked>(&after, policy).unwrap_or_else(|e| {
                    panic!("seed {seed}, killed at {k}, {survival:?}: open failed: {e}")
                });
                let recovered = scenario::drain(&queue);
                if let Err(e) = model.check(&recovered) {
                    panic!(
                        "seed {seed}, killed at {k}, restarted, then power lost ({survival:?}): {e}\nrecovered {:?}",
                        ids(&recovered)
                    );
                }
            }
            points += 1;
        }
    }
    eprintln!("kill, restart, power loss: {points} kill points explored, 2 survivals each");
    assert!(points > 200, "the scenarios make file operations: {points}");
}
