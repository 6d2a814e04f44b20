//! Damage after the header (truncation, bit flips, random overwrites, garbage after the last
//! record): `open` keeps exactly a prefix of the records, reports and saves the cut; damage in
//! one partition leaves the others whole.

use std::fmt::Debug;
use std::path::PathBuf;

use elasticq::{Delivery, SyncPolicy};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::common::*;
use crate::harness::*;
use crate::records::*;

#[derive(Clone, Debug)]
enum Damage {
    /// Truncates a segment to a length past its header.
    Truncate {
        file: Index,
        at: Index,
        in_records: bool,
    },
    /// Flips one bit past the header.
    Flip {
        file: Index,
        at: Index,
        bit: u8,
        in_records: bool,
    },
    /// Overwrites a range past the header with random bytes.
    Overwrite {
        file: Index,
        at: Index,
        bytes: Vec<u8>,
        in_records: bool,
    },
    /// Writes garbage after the last record of the last segment: in its zero-filled
    /// space, or past the end of the file.
    Garbage { bytes: Vec<u8>, past_end: bool },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<Index>(), any::<Index>(), any::<bool>()).prop_map(|(file, at, in_records)| {
            Damage::Truncate {
                file,
                at,
                in_records,
            }
        }),
        (any::<Index>(), any::<Index>(), 0..8u8, any::<bool>()).prop_map(
            |(file, at, bit, in_records)| Damage::Flip {
                file,
                at,
                bit,
                in_records
            }
        ),
        (
            any::<Index>(),
            any::<Index>(),
            proptest::collection::vec(any::<u8>(), 1..64),
            any::<bool>()
        )
            .prop_map(|(file, at, bytes, in_records)| Damage::Overwrite {
                file,
                at,
                bytes,
                in_records
            }),
        (
            1..=255u8,
            proptest::collection::vec(any::<u8>(), 0..100),
            any::<bool>()
        )
            .prop_map(|(first, rest, past_end)| Damage::Garbage {
                bytes: std::iter::once(first).chain(rest).collect(),
                past_end,
            }),
    ]
}

/// What the damaged log should recover to.
struct Expected {
    /// Owed seqs (message id + 1).
    owed: Vec<u64>,
    /// (path, offset, bytes) of each cut, and what its saved copy holds.
    cuts: Vec<(PathBuf, u64, u64, Vec<u8>)>,
}

/// A position past the header of a segment: within its records or anywhere in the file.
fn position(at: &Index, len: usize, records_end: usize, in_records: bool) -> usize {
    if in_records && records_end > HEADER {
        HEADER + at.index(records_end - HEADER)
    } else {
        HEADER + at.index(len - HEADER)
    }
}

fn damage_case(
    lens: Vec<usize>,
    pops: Vec<bool>,
    damage: Damage,
    more: Vec<usize>,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        JobQueue::builder()
            .dir(dir.path())
            .sync(SyncPolicy::None)
            .segment_bytes(4096)
            .build()
    };
    {
        let queue = open().unwrap();
        for (id, (&len, &pop)) in lens.iter().zip(&pops).enumerate() {
            queue.push(job(id as u64, len)).unwrap();
            if pop {
                prop_assert!(queue.pop().is_some());
            }
        }
    }
    // This pins the read of the whole log, which a checkpoint spares (it reads only what is
    // owed, and so misses damage elsewhere): deleting the checkpoint asks for the whole read.
    // `checkpoints.rs` pins damage under a checkpoint.
    remove_checkpoints(dir.path());
    let files = segment_files(dir.path());
    let originals: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let parsed: Vec<(Vec<Rec>, usize)> = originals.iter().map(|b| parse_segment(b)).collect();
    let all: Vec<Rec> = parsed.iter().flat_map(|(r, _)| r.clone()).collect();
    prop_assert_eq!(
        owed(&all).len(),
        lens.len() - pops.iter().filter(|&&p| p).count()
    );

    // Where the damage is: (file, first changed or lost byte), and the file's new contents.
    let last = files.len() - 1;
    let (fi, changed, damaged): (usize, Option<usize>, Vec<u8>) = match &damage {
        Damage::Truncate {
            file,
            at,
            in_records,
        } => {
            let fi = file.index(files.len());
            let (_, end) = parsed[fi];
            let len = originals[fi].len();
            let at = position(at, len + 1, end, *in_records).min(len);
            (fi, Some(at), originals[fi][..at].to_vec())
        }
        Damage::Flip {
            file,
            at,
            bit,
            in_records,
        } => {
            let fi = file.index(files.len());
            let at = position(at, originals[fi].len(), parsed[fi].1, *in_records);
            let mut bytes = originals[fi].clone();
            bytes[at] ^= 1 << bit;
            (fi, Some(at), bytes)
        }
        Damage::Overwrite {
            file,
            at,
            bytes: new,
            in_records,
        } => {
            let fi = file.index(files.len());
            let at = position(at, originals[fi].len(), parsed[fi].1, *in_records);
            let mut bytes = originals[fi].clone();
            let end = (at + new.len()).min(bytes.len());
            bytes[at..end].copy_from_slice(&new[..end - at]);
            let changed = (at..end).find(|&i| bytes[i] != originals[fi][i]);
            (fi, changed, bytes)
        }
        Damage::Garbage {
            bytes: garbage,
            past_end,
        } => {
            let mut bytes = originals[last].clone();
            let at = if *past_end {
                bytes.len()
            } else {
                parsed[last].1
            };
            bytes.resize(bytes.len().max(at + garbage.len()), 0);
            bytes[at..at + garbage.len()].copy_from_slice(garbage);
            (last, Some(at), bytes)
        }
    };
    std::fs::write(&files[fi], &damaged).unwrap();

    let expected = match changed {
        None => Expected {
            owed: owed(&all),
            cuts: vec![],
        },
        Some(at) => {
            let (records, records_end) = &parsed[fi];
            let truncated = matches!(damage, Damage::Truncate { .. });
            // Records wholly before the damage survive in this file.
            let kept_here: Vec<Rec> = records.iter().copied().filter(|r| r.end <= at).collect();
            let first_lost = records
                .iter()
                .find(|r| r.end > at)
                .map_or(*records_end, |r| r.start);
            let extent = nonzero_extent(&damaged[first_lost.min(damaged.len())..]);
            let before: Vec<Rec> = parsed[..fi].iter().flat_map(|(r, _)| r.clone()).collect();
            if extent == 0 {
                // Nothing left that is not zeros: an end of log, not damage (truncation only).
                prop_assert!(truncated);
                let lost = kept_here.len() < records.len();
                // A clean cut at a record boundary of a segment that is not the last makes
                // the next segment's records damage (a gap in the sequence numbers): its own
                // tests, at the end of the file, pin that.
                prop_assume!(!lost || fi == last);
                let later: Vec<Rec> = parsed[fi + 1..]
                    .iter()
                    .flat_map(|(r, _)| r.clone())
                    .collect();
                let kept: Vec<Rec> = before.into_iter().chain(kept_here).chain(later).collect();
                Expected {
                    owed: owed(&kept),
                    cuts: vec![],
                }
            } else {
                let kept: Vec<Rec> = before.into_iter().chain(kept_here).collect();
                let mut cuts = vec![(
                    files[fi].clone(),
                    first_lost as u64,
                    extent as u64,
                    damaged[first_lost..first_lost + extent].to_vec(),
                )];
                for later in fi + 1..files.len() {
                    cuts.push((
                        files[later].clone(),
                        0,
                        originals[later].len() as u64,
                        originals[later].clone(),
                    ));
                }
                Expected {
                    owed: owed(&kept),
                    cuts,
                }
            }
        }
    };

    // Reopen: exactly the prefix, and the cuts reported and saved.
    let queue = open().unwrap();
    let stats = queue.persist_stats();
    prop_assert_eq!(stats.recovered, expected.owed.len() as u64);
    let found: Vec<(PathBuf, u64, u64)> = stats
        .cuts
        .iter()
        .map(|cut| (cut.path.clone(), cut.offset, cut.bytes))
        .collect();
    let wanted: Vec<(PathBuf, u64, u64)> = expected
        .cuts
        .iter()
        .map(|(path, offset, bytes, _)| (path.clone(), *offset, *bytes))
        .collect();
    prop_assert_eq!(found, wanted);
    for (path, offset, _, saved) in &expected.cuts {
        let copy = std::fs::read(with_suffix(path, &format!(".{offset}.cut"))).unwrap();
        prop_assert_eq!(
            &copy,
            saved,
            "the saved copy of the cut at {}:{}",
            path.display(),
            offset
        );
        if *offset == 0 {
            prop_assert!(
                !path.exists(),
                "{} was cut whole but is still a segment",
                path.display()
            );
        } else {
            let now = std::fs::read(path).unwrap();
            prop_assert!(
                now[*offset as usize..].iter().all(|&b| b == 0),
                "the cut bytes were not zeroed"
            );
            prop_assert_eq!(&now[..*offset as usize], &damaged[..*offset as usize]);
        }
    }
    let messages = peek_all(&queue);
    let ids: Vec<u64> = messages.iter().map(|m| m.id).collect();
    let wanted: Vec<u64> = expected.owed.iter().map(|seq| seq - 1).collect();
    prop_assert_eq!(&ids, &wanted);
    for message in &messages {
        prop_assert_eq!(message, &job(message.id, lens[message.id as usize]));
    }

    // Appends go on after the last record kept; nothing more is cut.
    let first_new = lens.len() as u64;
    queue
        .push_batch(
            more.iter()
                .enumerate()
                .map(|(i, &len)| job(first_new + i as u64, len)),
        )
        .unwrap();
    drop(queue);
    let queue = open().unwrap();
    let stats = queue.persist_stats();
    prop_assert!(stats.cuts.is_empty(), "new cuts: {:?}", stats.cuts);
    let ids: Vec<u64> = peek_all(&queue).iter().map(|m| m.id).collect();
    let wanted: Vec<u64> = wanted
        .into_iter()
        .chain((0..more.len() as u64).map(|i| first_new + i))
        .collect();
    prop_assert_eq!(ids, wanted);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    #[test]
    fn damage_after_the_header_keeps_a_prefix(
        (lens, pops) in (20..120usize).prop_flat_map(|n| (
            proptest::collection::vec(prop_oneof![0..40usize, 100..300usize], n),
            proptest::collection::vec(proptest::bool::weighted(0.2), n),
        )),
        damage in damage(),
        more in proptest::collection::vec(0..300usize, 0..80),
    ) {
        damage_case(lens, pops, damage, more)?;
    }
}

#[test]
fn damage_in_one_partition_leaves_the_others_whole() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        EventQueue::builder()
            .dir(dir.path())
            .sync(SyncPolicy::None)
            .segment_bytes(4096)
            .build()
            .unwrap()
    };
    let events: Vec<Event> = (0..400)
        .map(|id| {
            EventH::make(
                id,
                Spec {
                    level: id as usize % 3,
                    key: id as usize % 8,
                    len: 40,
                },
            )
        })
        .collect();
    let queue = open();
    queue.push_batch(events.clone()).unwrap();
    let partition_of: Vec<usize> = events
        .iter()
        .map(|e| queue.partition_of(e.client.as_str()))
        .collect();
    drop(queue);
    // A bit flipped in the 5th record of partition 2's second segment.
    let victim = dir.path().join(segment_name(2, 1));
    let mut bytes = std::fs::read(&victim).unwrap();
    let (records, _) = parse_segment(&bytes);
    let first_of_victim = records[0].seq;
    let damaged_seq = records[4].seq;
    bytes[records[4].start + 20] ^= 0x10;
    std::fs::write(&victim, &bytes).unwrap();

    let queue = open();
    let cuts = queue.persist_stats().cuts;
    assert!(!cuts.is_empty());
    assert_eq!(
        (&cuts[0].path, cuts[0].offset),
        (&victim, records[4].start as u64)
    );
    assert!(cuts.iter().all(|cut| cut
        .path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("p0002-")));
    for p in 0..4 {
        // Within a partition, seqs follow push order (from 1).
        let mine: Vec<&Event> = events
            .iter()
            .zip(&partition_of)
            .filter(|(_, &q)| q == p)
            .map(|(e, _)| e)
            .collect();
        let kept = if p == 2 {
            damaged_seq as usize - 1
        } else {
            mine.len()
        };
        assert!(p != 2 || kept >= first_of_victim as usize);
        let mut expected: Vec<&Event> = mine[..kept].to_vec();
        expected.sort_by_key(|e| std::cmp::Reverse(e.level as usize)); // stable: FIFO per level
        let found: Vec<Event> =
            std::iter::from_fn(|| queue.pop_delivery_from(p).map(Delivery::into_unacked)).collect();
        assert_eq!(found.iter().collect::<Vec<_>>(), expected, "partition {p}");
    }
}
