//! Partition counts: a log of another partition count is refused.

use elasticq::{Error, PersistError, SyncPolicy};

use crate::common::*;
use crate::harness::*;

#[test]
fn a_log_of_another_partition_count_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = EventQueue::builder()
            .dir(dir.path())
            .sync(SyncPolicy::None)
            .build()
            .unwrap();
        for id in 0..32 {
            queue
                .push(EventH::make(
                    id,
                    Spec {
                        level: 0,
                        key: id as usize,
                        len: 4,
                    },
                ))
                .unwrap();
        }
    }
    let refused = |partitions: usize, found: usize| {
        let error = EventQueue::builder()
            .dir(dir.path())
            .partitions(partitions)
            .build()
            .err()
            .unwrap();
        match &error {
            Error::Persist(PersistError::Partitions {
                dir: at,
                found: f,
                configured,
            }) => {
                assert_eq!(
                    (at.as_path(), *f, *configured),
                    (dir.path(), found, partitions)
                );
            }
            other => panic!("expected Partitions, got {other}"),
        }
        let shown = error.to_string();
        assert!(shown.contains(&format!("partitions({found})")), "{shown}");
    };
    refused(2, 4);
    refused(8, 4);
    // Nothing changed: the right count reads every message back.
    assert_eq!(EventQueue::open(dir.path()).unwrap().len(), 32);
    // Without the manifest, the segments tell the count (at least the highest partition + 1).
    std::fs::remove_file(dir.path().join("MANIFEST")).unwrap();
    refused(2, 4);
    let queue = EventQueue::open(dir.path()).unwrap();
    assert_eq!(queue.len(), 32);
    drop(queue);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("MANIFEST")).unwrap(),
        "elasticq-wal 1\npartitions 4\n"
    );
}
