//! Reopening from a checkpoint: a closed queue's next `open` reads what it owed and the log
//! after the checkpoint, not every record; damage it does not need is not read, damage in
//! what it needs sends it back to reading the whole log.

use std::path::Path;

use crate::common::*;
use crate::records::*;

/// Pushes 200 jobs into segments of 4096 bytes, pops (and so acknowledges) all but every
/// tenth, and closes: what is owed is spread over every segment.
fn spread_log(dir: &Path) -> Vec<u64> {
    let queue = open_jobs(dir).unwrap();
    queue.push_batch((0..200).map(|id| job(id, 60))).unwrap();
    let mut owed = Vec::new();
    for id in 0..200 {
        let delivery = queue.pop_delivery().unwrap();
        assert_eq!(delivery.id, id);
        if id % 10 == 0 {
            owed.push(id);
            delivery.nack();
            // A nacked delivery comes back first: take it again and keep it owed.
            drop(queue.pop_delivery().unwrap());
        } else {
            delivery.ack().unwrap();
        }
    }
    owed
}

fn ids(queue: &JobQueue) -> Vec<u64> {
    queue.drain().into_iter().map(|job| job.id).collect()
}

/// The segment holding the record of `seq` (the job `seq - 1`), and the record.
fn record_of(dir: &Path, seq: u64, kind: u8) -> (std::path::PathBuf, Rec) {
    for file in segment_files(dir) {
        let (records, _) = parse_segment(&std::fs::read(&file).unwrap());
        if let Some(rec) = records.iter().find(|r| r.seq == seq && r.kind == kind) {
            return (file, *rec);
        }
    }
    panic!("no record of seq {seq}");
}

fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_closed_queue_reopens_from_its_checkpoint_with_what_it_owed() {
    let dir = tempfile::tempdir().unwrap();
    let owed = spread_log(dir.path());
    assert!(
        segment_files(dir.path()).len() > 3,
        "the owed records pin several segments"
    );
    let queue = open_jobs(dir.path()).unwrap();
    let stats = queue.persist_stats();
    assert_eq!(
        (stats.from_checkpoint, stats.recovered),
        (1, owed.len() as u64)
    );
    assert!(stats.cuts.is_empty());
    let queue_ids = ids(&queue);
    assert_eq!(queue_ids, owed);
    // Drained and closed: nothing comes back, from the checkpoint again.
    drop(queue);
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!((queue.persist_stats().from_checkpoint, queue.len()), (1, 0));
}

#[test]
fn without_a_checkpoint_the_whole_log_is_read_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let owed = spread_log(dir.path());
    remove_checkpoints(dir.path());
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!(queue.persist_stats().from_checkpoint, 0);
    assert_eq!(ids(&queue), owed);
}

#[test]
fn damage_in_an_owed_record_reads_the_whole_log_and_cuts_there() {
    let dir = tempfile::tempdir().unwrap();
    let owed = spread_log(dir.path());
    // Job 100's record (seq 101) is owed: its damage is found, and the log is cut there.
    let (file, rec) = record_of(dir.path(), 101, KIND_MESSAGE);
    flip(&file, rec.start + 12);
    let queue = open_jobs(dir.path()).unwrap();
    let stats = queue.persist_stats();
    assert_eq!(stats.from_checkpoint, 0);
    assert_eq!(
        (&stats.cuts[0].path, stats.cuts[0].offset),
        (&file, rec.start as u64)
    );
    // The prefix kept ends before every acknowledgement (all written after the pushes), so
    // every job before the damage is owed again, as a read of the whole log finds it.
    assert!(owed.contains(&100));
    assert_eq!(ids(&queue), (0..100).collect::<Vec<u64>>());
}

#[test]
fn damage_in_an_acknowledged_record_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let owed = spread_log(dir.path());
    // Job 55 was acknowledged: the checkpoint's reopen does not need its record.
    let (file, rec) = record_of(dir.path(), 56, KIND_MESSAGE);
    flip(&file, rec.start + 12);
    let queue = open_jobs(dir.path()).unwrap();
    let stats = queue.persist_stats();
    assert_eq!((stats.from_checkpoint, stats.cuts.len()), (1, 0));
    assert_eq!(ids(&queue), owed);
}

#[test]
fn records_written_after_a_clean_checkpoint_are_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let owed = spread_log(dir.path());
    let checkpoint = dir.path().join("p0000.ckpt");
    let clean = std::fs::read(&checkpoint).unwrap();
    {
        let queue = open_jobs(dir.path()).unwrap();
        queue.push(job(1000, 10)).unwrap();
        queue.sync().unwrap();
        // Killed before closing, the clean checkpoint put back: it must not hide the push.
        std::fs::write(&checkpoint, &clean).unwrap();
        std::mem::forget(queue);
    }
    // The lock of the forgotten queue is held by this process: read from a copy.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "LOCK") {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let queue = open_jobs(copy.path()).unwrap();
    assert_eq!(queue.persist_stats().from_checkpoint, 0);
    let mut expected = owed;
    expected.push(1000);
    assert_eq!(ids(&queue), expected);
}
