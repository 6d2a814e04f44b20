#![cfg(all(feature = "persist", unix))]
//! Regressions of persisted queues found by probing the generated API: each test here failed
//! before the fix it names, and reproduces the report as it was made.
//!
//! - a log that owes more than `max_capacity` reopens with its own declaration;
//! - a push refused as `Full` or `Closed` never reappears after the process aborts (the
//!   child process re-executes this binary, like `crash.rs`);
//! - a message too large for a record is refused before anything is written.

use std::process::Command;

use elasticq::{Codec, DecodeError, ElasticQueue, Error, PersistError, PushError};

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 2, min = 1, max = 2), persist(sync = every_write))]
struct Order {
    id: u32,
}

fn ids(queue: &OrderQueue) -> Vec<u32> {
    queue.drain().into_iter().map(|order| order.id).collect()
}

#[test]
fn a_log_owing_more_than_max_reopens_with_its_declaration() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = OrderQueue::open(dir.path()).unwrap();
        queue.push(Order { id: 1 }).unwrap();
        queue.push(Order { id: 2 }).unwrap();
        let delivery = queue.pop_delivery().unwrap();
        assert_eq!(delivery.id, 1);
        queue.push(Order { id: 3 }).unwrap();
        drop(delivery); // not acknowledged: owed again
    }
    let queue = OrderQueue::open(dir.path()).expect("a log always reopens with its declaration");
    assert_eq!(queue.len(), 3);
    let conserved = |queue: &OrderQueue| {
        let stats = queue.stats();
        assert_eq!(
            stats.enqueued,
            stats.dequeued + stats.len as u64,
            "{stats:?}"
        );
    };
    conserved(&queue);
    // At or above max, new pushes are refused, with nothing written for them.
    let written = queue.persist_stats().records_written;
    assert!(matches!(
        queue.push(Order { id: 4 }),
        Err(PushError::Full(Order { id: 4 }))
    ));
    assert_eq!(queue.persist_stats().records_written, written);
    // The owed messages come back in their original places.
    assert_eq!(queue.pop().map(|o| o.id), Some(1));
    assert!(
        queue.push(Order { id: 4 }).is_err(),
        "still at max (2 queued)"
    );
    assert_eq!(queue.pop().map(|o| o.id), Some(2));
    conserved(&queue);
    queue.push(Order { id: 4 }).unwrap();
    assert_eq!(ids(&queue), vec![3, 4]);
}

#[test]
fn owed_messages_above_max_keep_their_order_through_batches_and_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = OrderQueue::open(dir.path()).unwrap();
        queue
            .push_batch([Order { id: 1 }, Order { id: 2 }])
            .unwrap();
        let first = queue.pop_delivery().unwrap();
        let second = queue.pop_delivery().unwrap();
        queue
            .push_batch([Order { id: 3 }, Order { id: 4 }])
            .unwrap();
        drop((first, second));
    }
    let queue = OrderQueue::open(dir.path()).unwrap();
    assert_eq!(queue.len(), 4);
    let batch: Vec<u32> = queue.pop_batch(3).into_iter().map(|o| o.id).collect();
    assert_eq!(batch, vec![1, 2, 3]);
    let delivery = queue.pop_delivery().unwrap();
    assert_eq!(delivery.id, 4);
    delivery.ack().unwrap();
    assert!(queue.is_empty());
    drop(queue);
    assert!(OrderQueue::open(dir.path()).unwrap().is_empty());
}

/// What the child does: push 1, have 2 refused as `Full` and 3 refused as `Closed`, then
/// abort without unwinding or dropping anything.
const CHILD_ENV: &str = "ELASTICQ_REFUSAL_CHILD";

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 1, min = 1, max = 1), persist(sync = every_write))]
struct Slot {
    id: u32,
}

#[test]
fn refusal_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let queue = SlotQueue::open(&dir).unwrap();
    queue.push(Slot { id: 1 }).unwrap();
    assert!(matches!(
        queue.push(Slot { id: 2 }),
        Err(PushError::Full(Slot { id: 2 }))
    ));
    queue.close();
    assert!(matches!(
        queue.push(Slot { id: 3 }),
        Err(PushError::Closed(Slot { id: 3 }))
    ));
    std::process::abort();
}

#[test]
fn a_refused_push_never_reappears_after_abort() {
    let dir = tempfile::tempdir().unwrap();
    let status = crate::common::run_child("regressions::refusal_child", CHILD_ENV, dir.path());
    assert!(!status.success(), "the child aborts");
    let queue = SlotQueue::open(dir.path()).unwrap();
    let found: Vec<u32> = queue.drain().into_iter().map(|slot| slot.id).collect();
    assert_eq!(
        found,
        vec![1],
        "only the push that returned Ok is in the log"
    );
}

/// A message whose encoding is `len` zero bytes, without holding them in memory itself.
#[derive(ElasticQueue, Debug)]
#[elastic_queue(persist(sync = every_write))]
struct Blob {
    len: Zeros,
}

/// `n` zero bytes when encoded (the last field of its message: it takes the rest).
#[derive(Debug, PartialEq)]
struct Zeros(usize);

impl Codec for Zeros {
    fn encode(&self, out: &mut Vec<u8>) {
        out.resize(out.len() + self.0, 0);
    }
    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        let len = input.len();
        *input = &[];
        Ok(Zeros(len))
    }
}

#[test]
fn a_record_too_large_to_frame_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let queue = BlobQueue::open(dir.path()).unwrap();
    queue.push(Blob { len: Zeros(10) }).unwrap();
    let too_large = elasticq::MAX_RECORD_BYTES as usize + 1;
    match queue.push(Blob {
        len: Zeros(too_large),
    }) {
        Err(PushError::Persist(blob, error)) => {
            assert_eq!(blob.len, Zeros(too_large), "the message is handed back");
            assert!(
                matches!(*error, PersistError::RecordTooLarge { .. }),
                "{error}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Nothing was written for it, and the log still takes writes.
    assert_eq!(queue.persist_stats().records_written, 1);
    queue.push(Blob { len: Zeros(20) }).unwrap();
    drop(queue);
    let queue = BlobQueue::open(dir.path()).unwrap();
    let lens: Vec<usize> = queue.drain().into_iter().map(|blob| blob.len.0).collect();
    assert_eq!(lens, vec![10, 20]);
    assert!(queue.persist_stats().cuts.is_empty());
}

#[test]
fn errors_name_the_limit() {
    let error = PersistError::RecordTooLarge {
        bytes: 5 << 30,
        max: elasticq::MAX_RECORD_BYTES,
    };
    assert_eq!(
        error.to_string(),
        format!(
            "a message of {} bytes does not fit in a log record (at most {} bytes)",
            5u64 << 30,
            elasticq::MAX_RECORD_BYTES
        )
    );
    let _: Error = error.into();
}

/// What the truncation child does: open the queue in `dir` while a thread cuts its segment
/// short, then say how the open ended and exit normally.
const TRUNCATE_ENV: &str = "ELASTICQ_TRUNCATE_CHILD";

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
struct Reading {
    n: u64,
    payload: Vec<u8>,
}

#[test]
fn truncation_child() {
    let Ok(dir) = std::env::var(TRUNCATE_ENV) else {
        return;
    };
    let segment = std::path::Path::new(&dir).join("p0000-0000000000000000.wal");
    let cutter = std::thread::spawn(move || {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&segment)
            .unwrap();
        // Shrink the file step by step while recovery reads it, as another process could.
        let len = file.metadata().unwrap().len();
        for step in 1..=64u64 {
            file.set_len(len - len * step / 64 + 4096).unwrap();
            std::thread::yield_now();
        }
    });
    let opened = ReadingQueue::builder()
        .dir(&dir)
        .segment_bytes(64 << 20)
        .build();
    cutter.join().unwrap();
    match opened {
        Ok(queue) => println!("@opened {}", queue.len()),
        Err(error) => println!("@error {error}"),
    }
}

/// Recovery used to read segments through a memory map: a segment cut short by another
/// process while it was read raised SIGBUS and killed the process. Now it is an error or a
/// clean open, never a signal.
#[test]
fn a_segment_cut_short_during_recovery_never_kills_the_process() {
    use std::os::unix::process::ExitStatusExt;
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        {
            let queue = ReadingQueue::builder()
                .dir(dir.path())
                .segment_bytes(64 << 20)
                .build()
                .unwrap();
            queue
                .push_batch((0..200_000).map(|n| Reading {
                    n,
                    payload: vec![7; 200],
                }))
                .unwrap();
        }
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "regressions::truncation_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(TRUNCATE_ENV, dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "round {round}: the child died ({:?}, signal {:?}): {stdout}{}",
            output.status,
            output.status.signal(),
            String::from_utf8_lossy(&output.stderr)
        );
        let outcome = stdout.lines().find(|line| line.contains('@'));
        eprintln!("round {round}: {outcome:?}");
        assert!(outcome.is_some(), "{stdout}");
    }
}

/// A message that holds itself, nesting as deep as a caller likes.
#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write))]
struct Tree {
    children: Vec<Tree>,
}

fn chain(depth: usize) -> Tree {
    (0..depth).fold(Tree { children: vec![] }, |child, _| Tree {
        children: vec![child],
    })
}

/// Decoding stops at `MAX_DECODE_DEPTH` (deeper bytes are an error, not a stack overflow),
/// so a message nested deeper could be pushed but never recovered, and `open` would fail on
/// its record: it is refused before anything is written.
#[test]
fn a_message_nested_deeper_than_recovery_decodes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let queue = TreeQueue::open(dir.path()).unwrap();
    queue.push(chain(10)).unwrap();
    match queue.push(chain(elasticq::MAX_DECODE_DEPTH + 5)) {
        Err(PushError::Persist(tree, error)) => {
            assert!(
                matches!(*error, PersistError::NestedTooDeep { .. }),
                "{error}"
            );
            drop(tree);
        }
        other => panic!(
            "expected a refusal, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    queue.push(chain(elasticq::MAX_DECODE_DEPTH - 2)).unwrap();
    assert_eq!(queue.persist_stats().records_written, 2);
    drop(queue);
    let queue = TreeQueue::open(dir.path()).unwrap();
    assert_eq!(queue.pop(), Some(chain(10)));
    assert_eq!(queue.pop(), Some(chain(elasticq::MAX_DECODE_DEPTH - 2)));
}
