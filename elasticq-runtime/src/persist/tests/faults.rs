//! `ENOSPC` and `EIO` injected at each kind of file operation, at several moments: the call
//! that meets the fault hands its message back (`PushError::Persist`, a failed ack), the
//! queue goes on refusing writes without losing what it holds, and a reopen after the fault
//! (the process ended, the disk kept only what was synced) opens and passes the model.

use std::io::ErrorKind;

use super::scenario;
use super::sim::{SimFs, Survival, OPS};
use crate::persist::SyncPolicy;

#[test]
fn faults_at_every_kind_of_operation_lose_nothing_acknowledged() {
    let mut injected = 0;
    for policy in [SyncPolicy::EveryWrite, SyncPolicy::None] {
        for seed in 1..=4 {
            let steps = scenario::steps(300 + seed, 60);
            for kind in OPS {
                for error in [ErrorKind::StorageFull, ErrorKind::Other] {
                    for nth in [0, 1, 3, 8, 20] {
                        let fs = SimFs::new();
                        let queue = scenario::open::<
                            crate::engine::LockedQueue<crate::message::Recorded<scenario::Msg>>,
                        >(&fs, policy)
                        .unwrap();
                        fs.fail_at(kind, error, nth);
                        let model = scenario::run(&fs, policy, queue, &steps);
                        if !fs.faulted() {
                            continue;
                        }
                        injected += 1;
                        for survival in [Survival::Nothing, Survival::Everything] {
                            let after = fs.after_crash(survival);
                            let context = format!(
                                "{policy:?}, seed {seed}, {error:?} at {kind:?} #{nth}, {survival:?}"
                            );
                            let queue = scenario::open::<
                                crate::engine::LockedQueue<crate::message::Recorded<scenario::Msg>>,
                            >(&after, policy)
                            .unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
                            let recovered = scenario::drain(&queue);
                            if let Err(e) = model.check(&recovered) {
                                panic!("{context}: {e}");
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!("{injected} faults injected");
    assert!(injected > 100, "faults were met: {injected}");
}

/// Recovery reads segments with positioned reads: a read that fails (`EIO`, or a file cut
/// shorter by another process while it is read) is an error naming the file, where a
/// memory map would have raised SIGBUS and killed the process.
#[test]
fn a_read_that_fails_during_recovery_is_an_error() {
    let fs = SimFs::new();
    let queue =
        scenario::open::<crate::engine::LockedQueue<crate::message::Recorded<scenario::Msg>>>(
            &fs,
            SyncPolicy::EveryWrite,
        )
        .unwrap();
    queue.push(scenario::msg(1, 0, 0, 10)).unwrap();
    drop(queue);
    let after = fs.after_crash(Survival::Nothing);
    // The lock, the listing, the manifest and the segment's length are read first.
    let mut failed = 0;
    for nth in 0..8 {
        let disk = after.after_crash(Survival::Everything);
        disk.fail_at(super::sim::Op::Read, ErrorKind::Other, nth);
        match scenario::open::<crate::engine::LockedQueue<crate::message::Recorded<scenario::Msg>>>(
            &disk,
            SyncPolicy::EveryWrite,
        ) {
            Err(crate::error::Error::Persist(crate::persist::PersistError::Io { .. })) => {
                failed += 1
            }
            Err(other) => panic!("read #{nth} failed: {other}"),
            Ok(queue) => assert_eq!(scenario::drain(&queue).len(), 1),
        }
    }
    assert!(failed >= 3, "reads of the recovery failed: {failed}");
}

/// A push whose record the log could not write is a refusal for that reason: counted once in
/// `rejected`, as `rejected_write_failed`, and not as full (the metrics' `reason` label).
/// After it the log takes no more writes, and those refusals are counted the same way.
#[test]
fn a_failed_write_is_counted_as_a_write_failure() {
    let fs = SimFs::new();
    let queue = scenario::open::<scenario::Locked>(&fs, SyncPolicy::EveryWrite).unwrap();
    queue.push(scenario::msg(1, 0, 0, 0)).unwrap();
    fs.fail_at(super::sim::Op::Write, ErrorKind::Other, 0);
    for id in 2..=3 {
        let refused = queue.push(scenario::msg(id, 0, 0, 0)).unwrap_err();
        assert!(
            matches!(refused, crate::error::PushError::Persist(..)),
            "{refused:?}"
        );
    }
    let stats = queue.stats();
    assert_eq!(
        (
            stats.rejected,
            stats.rejected_write_failed,
            stats.rejected_full()
        ),
        (2, 2, 0),
        "{stats:?}"
    );
    assert_eq!(stats.enqueued, 1);
}
