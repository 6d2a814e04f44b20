//! The seed corpus the fuzz targets start from and `tests/fuzz_regressions.rs` replays.

use std::time::Duration;

use crate::codec::to_bytes;

use super::input::append;
use super::recovery::Strict;
use super::segment_header;
use crate::persist::record::{self};

/// The seed corpus of each target, `(target, file name, bytes)`: a few valid inputs for each,
/// committed in `fuzz/corpus/<target>/` (a test checks that they match).
pub fn seed_corpus() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds = Vec::new();
    let mut log = Vec::new();
    append(&mut log, 1, 0, b"hello");
    append(&mut log, 2, 1, b"world");
    let voided = log.len();
    append(&mut log, 3, 0, b"refused");
    record::void(&mut log[voided..]);
    record::append_ack(&mut log, 1);
    let mut padded = log.clone();
    padded.resize(log.len() + 64, 0);

    let prefixed = |flag: u8, bytes: &[u8]| [&[flag][..], bytes].concat();
    seeds.push(("record_reader", "empty".into(), vec![0]));
    seeds.push(("record_reader", "records".into(), prefixed(0, &padded)));
    seeds.push((
        "record_reader",
        "torn".into(),
        prefixed(0, &log[..log.len() - 3]),
    ));
    // Messages "abc" and "de" (level 1), a void "vw", an ack of the first, a torn message,
    // zeros.
    let ops = [
        0x00, 3, b'a', b'b', b'c', 0x10, 2, b'd', b'e', 0x0c, 2, b'v', b'w', 0x01, 2, 0x00, 2,
        b'x', b'y', 0x07, 4, 0x05, 16,
    ];
    seeds.push(("record_reader", "built".into(), prefixed(1, &ops)));

    seeds.push((
        "recovery",
        "raw-header-flag".into(),
        prefixed(0x10, &padded),
    ));
    let mut file = segment_header(0).to_vec();
    file.extend_from_slice(&padded);
    seeds.push(("recovery", "raw-whole-file".into(), prefixed(0x00, &file)));
    let mut two = vec![
        0x00, 0x00, 3, b'a', b'b', b'c', 0x00, 1, b'd', 0x01, 1, 0x08,
    ];
    two.extend_from_slice(&[0x00, 2, b'e', b'f', 0x0c, 1, b'z', 0x01, 1, 0x0b]);
    seeds.push((
        "recovery",
        "built-two-segments".into(),
        prefixed(0x01, &two),
    ));
    let mut strict = vec![0x00, 0x0a, 7, 0, 0, 0, 0, 0, 0, 0, 2, b'h', b'i'];
    strict.extend_from_slice(&[0x0a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 40]);
    seeds.push((
        "recovery",
        "built-strict".into(),
        prefixed(0x01 | 0x08, &strict),
    ));
    let torn = [
        0x03, 0x00, 3, b'a', b'b', b'c', 0x00, 4, 1, 2, 3, 4, 0x07, 2, 0x08, 0x00, 0,
    ];
    seeds.push((
        "recovery",
        "built-torn-unacked-compact".into(),
        prefixed(0x01 | 0x02 | 0x20 | 0x40, &torn),
    ));

    let codec = |which: u8, bytes: Vec<u8>| [vec![which], bytes].concat();
    seeds.push(("codec_decode", "u64".into(), codec(3, to_bytes(&7u64))));
    seeds.push((
        "codec_decode",
        "string".into(),
        codec(13, to_bytes(&"topic".to_string())),
    ));
    seeds.push((
        "codec_decode",
        "pairs".into(),
        codec(23, to_bytes(&vec![(1u32, vec![2u8, 3]), (4, vec![])])),
    ));
    let composite = (
        9u8,
        -3i64,
        Some("x".to_string()),
        vec![(true, 'é')],
        [1u16, 2, 3],
        Box::new(1.5f64),
        Duration::new(5, 6),
        vec![vec![1u8], vec![]],
    );
    seeds.push((
        "codec_decode",
        "composite".into(),
        codec(27, to_bytes(&composite)),
    ));
    seeds.push((
        "codec_decode",
        "strict".into(),
        codec(30, to_bytes(&(1i8, -2i16, 3i128, Strict(4, "s".into())))),
    ));

    // Checkpoints: built (3 segments, some records owed), built and changed in its owed
    // list with the checksum fixed, raw bytes of one segment, and a short file.
    seeds.push((
        "checkpoint_decode",
        "built".into(),
        vec![
            1, 2, 5, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 3, 10, 0, 20, 1, 30, 0,
        ],
    ));
    seeds.push((
        "checkpoint_decode",
        "built-changed".into(),
        [
            &[
                3u8, 1, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 5, 0, 6, 0,
            ][..],
            &[0; 17],
        ]
        .concat(),
    ));
    seeds.push((
        "checkpoint_decode",
        "short".into(),
        vec![0, b'E', b'L', b'Q'],
    ));
    seeds
}
