//! Locking: a log directory is locked while a queue or a delivery holds it.

use elasticq::{Error, PersistError};

use crate::common::*;

#[test]
fn a_log_directory_is_locked_while_a_queue_or_a_delivery_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let locked = |result: Result<JobQueue, Error>| match result {
        Err(Error::Persist(PersistError::Locked { dir: found })) => assert_eq!(found, dir.path()),
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("expected Locked, the log opened twice"),
    };
    let queue = open_jobs(dir.path()).unwrap();
    locked(open_jobs(dir.path()));
    locked(JobQueue::open(dir.path()));
    // Another message type on the same directory is refused the same way.
    assert!(matches!(
        SmallQueue::open(dir.path()),
        Err(Error::Persist(PersistError::Locked { .. }))
    ));
    queue.push_batch((0..3).map(|id| job(id, 1))).unwrap();
    drop(queue);

    // A live delivery keeps the directory locked after its queue is gone.
    let queue = open_jobs(dir.path()).unwrap();
    let first = queue.pop_delivery().unwrap();
    let second = queue.pop_delivery().unwrap();
    drop(queue);
    locked(open_jobs(dir.path()));
    drop(first); // not acknowledged
    locked(open_jobs(dir.path()));
    // Acknowledged after its queue was dropped: it is written when the last holder goes.
    assert_eq!(second.ack().unwrap().id, 1);
    let queue = open_jobs(dir.path()).unwrap();
    let ids: Vec<u64> = queue.drain().iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![0, 2]);
    drop(queue);
    let queue = open_jobs(dir.path()).unwrap();
    assert!(queue.is_empty());
}
