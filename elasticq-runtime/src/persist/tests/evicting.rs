//! A queue that evicts (`Overflow::DropOldest`) crashed at every operation boundary: an
//! evicted message is acknowledged as a popped one is, so once that acknowledgement is
//! durable it never comes back, and until then it may; every other promise of
//! [`crash`](super::crash) holds. The queue reopens with the same declaration, so what it
//! recovers beyond a lane's maximum is evicted at `open`, oldest first, and acknowledged.

use std::sync::Arc;

use parking_lot::Mutex;

use super::scenario::{self, ids, Engine, Evicted, LockFree, Locked, Step};
use super::sim::{SimFs, Survival};
use crate::persist::SyncPolicy;

/// Runs `steps` crashing at `crash` (or not at all), reopens the disk as `survival` leaves
/// it, and checks; returns the operations the run made and how many messages it evicted.
fn crash_and_check<E: Engine>(
    policy: SyncPolicy,
    steps: &[Step],
    crash: Option<u64>,
    survival: Survival,
) -> Result<(u64, usize), String> {
    let fs = SimFs::new();
    let evicted: Evicted = Arc::new(Mutex::new(Vec::new()));
    let queue = scenario::open_evicting::<E>(&fs, policy, &evicted)
        .map_err(|e| format!("first open: {e}"))?;
    if let Some(k) = crash {
        fs.crash_at(k);
    }
    let model = scenario::Model::evicting(Arc::clone(&evicted));
    let mut model = scenario::run_from(model, &fs, policy, queue, steps);
    let evictions = model.evictions();
    let ops = fs.ops();
    let after = fs.after_crash(survival);
    let at_open: Evicted = Arc::new(Mutex::new(Vec::new()));
    let queue = scenario::open_evicting::<E>(&after, policy, &at_open)
        .map_err(|e| format!("open after the crash failed: {e}\n{:#?}", after.listing()))?;
    model.evicted_at_open(std::mem::take(&mut *at_open.lock()));
    let recovered = scenario::drain(&queue);
    model
        .check(&recovered)
        .map_err(|e| format!("{e}\nrecovered {:?}", ids(&recovered)))?;
    drop(queue);
    let queue = scenario::open_evicting::<E>(&after, policy, &at_open)
        .map_err(|e| format!("second open: {e}"))?;
    if !queue.is_empty() {
        return Err(format!(
            "a drained queue reopened with {:?}",
            ids(&scenario::drain(&queue))
        ));
    }
    Ok((ops, evictions))
}

/// Crashes `steps` at every operation, each under three survivals; returns the crash points
/// explored and the evictions of the run without a crash.
fn explore<E: Engine>(policy: SyncPolicy, seed: u64, steps: &[Step]) -> (u64, usize) {
    let (total, evictions) = crash_and_check::<E>(policy, steps, None, Survival::Nothing)
        .unwrap_or_else(|e| panic!("seed {seed}, {policy:?}, no crash: {e}"));
    for k in 0..=total {
        for survival in [
            Survival::Nothing,
            Survival::Everything,
            Survival::Random(seed ^ (k << 20) ^ 0xE71C),
        ] {
            if let Err(e) = crash_and_check::<E>(policy, steps, Some(k), survival) {
                panic!(
                    "seed {seed}, {policy:?}, crash at operation {k} of {total}, {survival:?}: {e}\nsteps: {steps:?}"
                );
            }
        }
    }
    (total + 1, evictions)
}

#[test]
fn an_evicting_queue_survives_a_crash_at_every_operation() {
    let (mut points, mut evictions) = (0, 0);
    for seed in 601..=608 {
        let steps = scenario::steps(seed, 40);
        for policy in [SyncPolicy::EveryWrite, SyncPolicy::None] {
            let (p, e) = explore::<Locked>(policy, seed, &steps);
            points += p;
            evictions += e;
        }
        let (p, e) = explore::<LockFree>(SyncPolicy::EveryWrite, seed, &steps);
        points += p;
        evictions += e;
    }
    eprintln!(
        "drop_oldest: {points} crash points, {evictions} evictions in the runs without a crash"
    );
    assert!(
        evictions > 20,
        "the scenarios fill lanes: {evictions} evictions"
    );
    assert!(points > 300, "the scenarios make file operations: {points}");
}
