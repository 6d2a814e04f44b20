//! Recovery from a checkpoint, crashed at every operation: the clean checkpoint a closed
//! queue leaves, the reopen that reads from it and replaces it before its first append, and
//! the calls after it.
//!
//! Each scenario runs to its end and closes (a clean checkpoint), is reopened on the page
//! cache it left, runs more calls, and dies at every operation in turn, the open's own
//! included; the disk is then recovered as the crash leaves it three ways and checked
//! against the model of both runs, as `crash` checks one run.

use super::scenario::{self, ids, Locked, Model, Step};
use super::sim::{SimFs, Survival};
use crate::persist::SyncPolicy;

/// The first run, closed cleanly, and the page cache it leaves.
fn closed_run(policy: SyncPolicy, first: &[Step]) -> (SimFs, Model) {
    let fs = SimFs::new();
    let queue = scenario::open::<Locked>(&fs, policy).expect("a first open");
    let model = scenario::run(&fs, policy, queue, first);
    (fs.restart(), model)
}

/// Recovers `fs` as `survival` leaves it and checks it against `model`; then that a
/// drained queue reopens empty and uncut.
fn check(fs: &SimFs, policy: SyncPolicy, model: &Model, survival: Survival) -> Result<(), String> {
    let after = fs.after_crash(survival);
    let queue = scenario::open::<Locked>(&after, policy)
        .map_err(|e| format!("open after the crash failed: {e}\n{:#?}", after.listing()))?;
    let recovered = scenario::drain(&queue);
    model
        .check(&recovered)
        .map_err(|e| format!("{e}\nrecovered {:?}", ids(&recovered)))?;
    drop(queue);
    let queue =
        scenario::open::<Locked>(&after, policy).map_err(|e| format!("second open: {e}"))?;
    if !queue.is_empty() || !queue.persist_stats().cuts.is_empty() {
        return Err(format!(
            "a drained, closed log reopened with {:?} and cuts {:?}",
            ids(&scenario::drain(&queue)),
            queue.persist_stats().cuts
        ));
    }
    // Closed cleanly, it reopens from its checkpoints, also after a recovery that cut whole
    // segments (seed 603, every_write, operation 34, a random survival: the checkpoint then
    // named the cut segment as its own, and was refused).
    let from_checkpoint = queue.persist_stats().from_checkpoint;
    if from_checkpoint != 2 {
        return Err(format!(
            "a closed log reopened with {from_checkpoint} of 2 partitions from their checkpoints"
        ));
    }
    Ok(())
}

fn explore(policy: SyncPolicy, seeds: std::ops::RangeInclusive<u64>) -> u64 {
    let mut points = 0;
    for seed in seeds {
        let first = scenario::steps(seed, 30);
        let (fs, model) = closed_run(policy, &first);
        let second = scenario::steps_after(seed ^ 0x5EC0, 20, model.last_id());
        let queue = scenario::open::<Locked>(&fs, policy).expect("a reopen");
        assert_eq!(
            queue.persist_stats().from_checkpoint,
            2,
            "seed {seed}: a closed queue reopens from its checkpoints"
        );
        scenario::run_from(model, &fs, policy, queue, &second);
        let total = fs.ops();
        for k in 0..=total {
            let (fs, model) = closed_run(policy, &first);
            fs.crash_at(k);
            let model = match scenario::open::<Locked>(&fs, policy) {
                Ok(queue) => scenario::run_from(model, &fs, policy, queue, &second),
                Err(_) if fs.crashed() => model,
                Err(e) => panic!("seed {seed}: the reopen failed: {e}"),
            };
            for survival in [
                Survival::Nothing,
                Survival::Everything,
                Survival::Random(seed ^ (k << 20) ^ 0xC4EC),
            ] {
                if let Err(e) = check(&fs, policy, &model, survival) {
                    panic!("seed {seed}, {policy:?}, reopened, crash at operation {k} of {total}, {survival:?}: {e}\nsteps: {first:?} then {second:?}");
                }
            }
            points += 1;
        }
    }
    points
}

#[test]
fn a_queue_reopened_from_its_checkpoint_survives_a_crash_at_every_operation() {
    let points = explore(SyncPolicy::EveryWrite, 601..=606);
    eprintln!("reopened from a checkpoint, every_write: {points} crash points, 3 survivals each");
    assert!(points > 200, "the scenarios make file operations: {points}");
}

#[test]
fn policy_none_reopened_from_its_checkpoint_survives_a_crash_at_every_operation() {
    let points = explore(SyncPolicy::None, 701..=704);
    eprintln!("reopened from a checkpoint, none: {points} crash points, 3 survivals each");
    assert!(points > 100, "the scenarios make file operations: {points}");
}
