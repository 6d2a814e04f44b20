//! Regressions: library bugs these tests found (overflowing counters near `u64::MAX`, losses
//! across a segment boundary going unnoticed, a misleading error), each pinned by its fix.

use std::fmt::Debug;

use elasticq::{ElasticQueue, Error, PersistError};

use crate::common::*;
use crate::records::*;

/// Opens `dir` with `segment` as its only segment file, then (if it opened) pushes and
/// compacts until the log has rolled to a new segment. Returns whether any of it panicked,
/// and what `open` said.
fn panics_with_segment(index: u64, segment: Vec<u8>) -> (bool, Option<Error>) {
    let dir = tempfile::tempdir().unwrap();
    drop(open_jobs(dir.path()).unwrap());
    std::fs::remove_file(dir.path().join(segment_name(0, 0))).unwrap();
    std::fs::write(dir.path().join(segment_name(0, index)), segment).unwrap();
    let mut opened = None;
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match open_jobs(dir.path()) {
            Ok(queue) => {
                queue.push_batch((0..100).map(|id| job(id, 100))).unwrap();
                queue.clear();
                queue.compact().unwrap();
            }
            Err(error) => opened = Some(error),
        }
    }))
    .is_err();
    (panicked, opened)
}

/// A segment named with an index near `u64::MAX` (valid header) once made `open` panic on
/// `last + 1` or a later roll; it is now a header error at the index field.
#[test]
fn segment_indexes_near_the_maximum_are_refused_not_overflowed() {
    for index in [u64::MAX, u64::MAX - 1] {
        let mut segment = header(0, index, 1).to_vec();
        segment.resize(4096, 0);
        let (panicked, error) = panics_with_segment(index, segment);
        assert!(!panicked, "index {index:#x} panicked");
        // Beyond the range a log can continue from: named, at the header's index field.
        assert!(
            matches!(
                error,
                Some(Error::Persist(PersistError::Header { offset: 16, .. }))
            ),
            "index {index:#x}: {error:?}"
        );
    }
}

/// A checksum-valid record with a sequence number near `u64::MAX` once made `open` (or the
/// next push) panic on `seq + 1`; it is now damage, cut like any other.
#[test]
fn sequence_numbers_near_the_maximum_are_cut_not_overflowed() {
    for seq in [u64::MAX, u64::MAX - 1] {
        let mut segment = header(0, 0, 1).to_vec();
        segment.extend(message_record(seq, 0, &elasticq::to_bytes(&job(1, 3))));
        segment.resize(4096, 0);
        let (panicked, error) = panics_with_segment(0, segment);
        assert!(!panicked, "seq {seq:#x} panicked");
        // The record is cut as damage; the log opens and goes on.
        assert!(error.is_none(), "seq {seq:#x}: {error:?}");
    }
}

/// An earlier segment that lost its last records cleanly (truncated at a record boundary)
/// once read as a clean end, and the later segments were recovered after the gap: messages
/// lost, nothing reported. Sequence numbers must now continue from one message to the next,
/// so the gap is damage: what follows it is cut and reported, and what comes back is a prefix.
#[test]
fn records_lost_at_a_boundary_of_an_earlier_segment_are_reported_and_the_rest_cut() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_jobs(dir.path(), 120);
    assert!(files.len() >= 3);
    let bytes = std::fs::read(&files[0]).unwrap();
    let (records, _) = parse_segment(&bytes);
    std::fs::write(&files[0], &bytes[..records[10].start]).unwrap();
    let queue = open_jobs(dir.path()).unwrap();
    let stats = queue.persist_stats();
    let ids: Vec<u64> = peek_all(&queue).iter().map(|j| j.id).collect();
    assert_eq!(
        ids,
        (0..ids.len() as u64).collect::<Vec<_>>(),
        "not a prefix; cuts reported: {:?}",
        stats.cuts
    );
    assert!(
        ids.len() == 120 || !stats.cuts.is_empty(),
        "messages lost, no cut reported"
    );
}

/// The same with the records zeroed in place (the file keeps its size).
#[test]
fn zeroed_records_at_the_end_of_an_earlier_segment_are_reported_and_the_rest_cut() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_jobs(dir.path(), 120);
    let mut bytes = std::fs::read(&files[1]).unwrap();
    let (records, end) = parse_segment(&bytes);
    bytes[records[5].start..end].fill(0);
    std::fs::write(&files[1], &bytes).unwrap();
    let queue = open_jobs(dir.path()).unwrap();
    let stats = queue.persist_stats();
    let ids: Vec<u64> = peek_all(&queue).iter().map(|j| j.id).collect();
    assert_eq!(
        ids,
        (0..ids.len() as u64).collect::<Vec<_>>(),
        "not a prefix; cuts reported: {:?}",
        stats.cuts
    );
    assert!(
        ids.len() == 120 || !stats.cuts.is_empty(),
        "messages lost, no cut reported"
    );
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
struct Wide {
    #[elastic_queue(priority(levels = 8))]
    urgency: u8,
}

/// `Wide` with fewer levels: a later version of the same message.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
struct Narrow {
    #[elastic_queue(priority(levels = 4))]
    urgency: u8,
}

/// A recovered message the queue refuses for its priority (the log was written with more
/// levels) was reported as `Capacity` with advice that did not help; it is now
/// `PersistError::Priority`, naming the record's file and offset.
#[test]
fn a_recovered_priority_outside_the_levels_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = WideQueue::open(dir.path()).unwrap();
        queue.push(Wide { urgency: 1 }).unwrap();
        queue.push(Wide { urgency: 6 }).unwrap();
    }
    // The default maximum capacity is far above 2 messages.
    match NarrowQueue::open(dir.path()) {
        Err(Error::Persist(PersistError::Priority { path, offset })) => {
            assert_eq!(path, dir.path().join(segment_name(0, 0)));
            assert!(offset >= 32, "{offset}");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a message outside the levels was recovered"),
    }
}
