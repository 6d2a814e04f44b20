//! The log directory's id (`log_id`) against a crash at every operation of its creation:
//! after any crash, reading it again succeeds; an id that was handed out survives every way
//! the disk can be left, so a message's `message_id` never changes under it.

use std::path::Path;

use super::sim::{SimFs, Survival};
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
