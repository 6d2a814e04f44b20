//! The log directory's id (`log_id`) against a crash, and a failed operation, at every step of
//! its creation:
//! after any crash, reading it again succeeds; an id that was handed out survives every way
//! the disk can be left, so a message's `message_id` never changes under it.

use std::io;
use std::path::Path;

use super::sim::{SimFs, Survival, OPS};
use crate::persist::fs::FileSystem;
use crate::persist::log_id;

const DIR: &str = "/sim/queue";

#[test]
fn an_id_handed_out_survives_a_crash_at_every_operation() {
    // The operations one creation makes, counted on a run that does not crash.
    let fs = SimFs::new();
    fs.create_dir_all(Path::new(DIR)).expect("the directory");
    let before = fs.ops();
    log_id::read_or_create(&fs, Path::new(DIR)).expect("created");
    let ops = fs.ops() - before;
    assert!(
        ops >= 4,
        "create, write, sync, rename and sync the directory: {ops}"
    );

    for k in 0..=ops {
        for survival in [Survival::Nothing, Survival::Everything, Survival::Random(k)] {
            let fs = SimFs::new();
            fs.create_dir_all(Path::new(DIR)).expect("the directory");
            fs.crash_at(fs.ops() + k);
            let handed_out = log_id::read_or_create(&fs, Path::new(DIR));
            let after = fs.after_crash(survival);
            let read = log_id::read_or_create(&after, Path::new(DIR)).unwrap_or_else(|e| {
                panic!("crash at {k}, {survival:?}: {e}\n{:#?}", after.listing())
            });
            if let Ok(id) = handed_out {
                assert_eq!(read, id, "crash at {k}, {survival:?}: the id changed");
            }
            assert_eq!(
                log_id::read_or_create(&after, Path::new(DIR)).expect("read again"),
                read,
                "crash at {k}, {survival:?}: not stable"
            );
        }
    }
}

/// A failed operation of any kind while the id is written (`ENOSPC`, `EIO`): the call is an
/// error, no id is handed out, and the next call, the disk healthy again, writes one that
/// then stays.
#[test]
fn a_failed_write_of_the_id_hands_out_none_and_the_next_call_writes_it() {
    let mut faulted = Vec::new();
    for kind in OPS {
        for error in [io::ErrorKind::StorageFull, io::ErrorKind::Other] {
            let fs = SimFs::new();
            fs.create_dir_all(Path::new(DIR)).expect("the directory");
            fs.fail_at(kind, error, 0);
            let first = log_id::read_or_create(&fs, Path::new(DIR));
            if !fs.faulted() {
                // This kind of operation is not part of writing an id.
                assert!(first.is_ok(), "{kind:?}: {first:?}");
                continue;
            }
            assert!(
                first.is_err(),
                "{kind:?} {error:?}: an id handed out: {first:?}"
            );
            faulted.push(kind);
            let id = log_id::read_or_create(&fs, Path::new(DIR))
                .unwrap_or_else(|e| panic!("{kind:?} {error:?}: no id after the fault: {e}"));
            let after = fs.restart();
            assert_eq!(
                log_id::read_or_create(&after, Path::new(DIR)).expect("read after a restart"),
                id,
                "{kind:?} {error:?}: the id changed"
            );
        }
    }
    // Creating, writing, syncing, renaming and syncing the directory each took a fault.
    faulted.dedup();
    assert!(faulted.len() >= 5, "faulted only {faulted:?}");
}
