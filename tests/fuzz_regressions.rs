//! Replays the fuzz targets' kept inputs (`fuzz/`, see README.md, "Fuzzing") through the
//! checks the targets run: every file of `fuzz/corpus/<target>/` (the seed corpus) and of
//! `fuzz/regressions/<target>/` (inputs that once failed). Each target is one call into
//! `elasticq_runtime::__fuzz`, and so is each replay here, so an input that fails under the
//! fuzzer fails here too. Needs the runtime's `fuzzing` feature (`--all-features` has it).

#[path = "../fuzz/derived.rs"]
mod derived;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use elasticq::{
    from_bytes, to_bytes, Codec, Config, DecodeError, LockedQueue, PersistOptions, Persistent,
    Recorded,
};
use elasticq_runtime::__fuzz::{self, Loose};

const TARGETS: [&str; 4] = [
    "record_reader",
    "recovery",
    "checkpoint_decode",
    "codec_decode",
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, by name (none when the directory does not exist).
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut found: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|entry| entry.expect("read a fuzz input directory").path())
            .filter(|path| path.is_file())
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => panic!("{}: {error}", dir.display()),
    };
    found.sort();
    found
}

/// Runs `check` over every kept input of `target`; fails naming each input that failed.
/// Returns how many inputs ran.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let mut ran = 0;
    let mut failed = Vec::new();
    for kind in ["corpus", "regressions"] {
        for path in files(kind, target) {
            let bytes = std::fs::read(&path).expect("read a fuzz input");
            if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
                failed.push(path.display().to_string());
            }
            ran += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: these inputs fail (the panic is printed above each): {failed:#?}"
    );
    ran
}

#[test]
fn record_reader_inputs_replay() {
    assert!(replay("record_reader", __fuzz::record_reader) > 0);
}

#[test]
fn recovery_inputs_replay() {
    let scratch = tempfile::tempdir().unwrap();
    assert!(replay("recovery", |data| __fuzz::recovery(data, scratch.path())) > 0);
}

#[test]
fn checkpoint_decode_inputs_replay() {
    assert!(replay("checkpoint_decode", __fuzz::checkpoint_decode) > 0);
}

/// A checkpoint file the log wrote passes the target's checks as it is, and with its
/// checksum fixed after any one byte changes: the fuzzer starts from real files too.
#[test]
fn a_checkpoint_the_log_wrote_passes_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Persistent::<Loose, LockedQueue<Recorded<Loose>>>::open(
        Config::new(),
        PersistOptions::new(dir.path()),
    )
    .unwrap();
    for n in 0..5u8 {
        queue.push(Loose(vec![n; 3])).unwrap();
    }
    queue.pop();
    drop(queue); // writes the clean checkpoint
    let file = std::fs::read(dir.path().join("p0000.ckpt")).unwrap();
    __fuzz::checkpoint_decode(&[&[0][..], &file].concat());
    for at in 0..file.len() - 4 {
        let mut changed = file.clone();
        changed[at] ^= 0x41;
        __fuzz::checkpoint_decode(&[&[2][..], &changed].concat());
    }
}

#[test]
fn codec_decode_inputs_replay() {
    assert!(replay("codec_decode", derived::codec_decode) > 0);
}

/// Every seed the program (`__fuzz::seed_corpus`, `derived::seeds`) makes is committed as it
/// makes it. `ELASTICQ_WRITE_FUZZ_SEEDS=1 cargo test --all-features --test fuzz_regressions`
/// writes them.
#[test]
fn the_seed_corpus_is_committed() {
    let mut seeds = __fuzz::seed_corpus();
    for (name, bytes) in derived::seeds() {
        seeds.push(("codec_decode", name, bytes));
    }
    let write = std::env::var_os("ELASTICQ_WRITE_FUZZ_SEEDS").is_some();
    for (target, name, bytes) in seeds {
        assert!(TARGETS.contains(&target));
        let path = fuzz_dir().join("corpus").join(target).join(&name);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed =
            std::fs::read(&path).unwrap_or_else(|error| panic!("seed {}: {error}", path.display()));
        assert_eq!(committed, bytes, "seed {} is out of date", path.display());
    }
}

/// The valid headers the fuzzer's inputs get are the ones the log writes.
#[test]
fn the_fuzzers_segment_header_is_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Persistent::<Loose, LockedQueue<Recorded<Loose>>>::open(
        Config::new(),
        PersistOptions::new(dir.path()),
    )
    .unwrap();
    let file = dir.path().join(__fuzz::segment_file_name(0));
    let written = std::fs::read(&file).unwrap();
    drop(queue);
    assert_eq!(written[..__fuzz::HEADER], __fuzz::segment_header(0));
}

/// A codec whose encoding does not decode back: `round_trip` must catch it, so a replay of an
/// input that breaks the codec fails.
#[derive(Debug)]
struct Asymmetric(u8);

impl Codec for Asymmetric {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0.wrapping_add(1));
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        u8::decode(input).map(Asymmetric)
    }
}

/// A codec that claims more bytes than it writes: collections of it would refuse lengths
/// they can hold.
#[derive(Debug)]
struct Overclaimed(u8);

impl Codec for Overclaimed {
    const MIN_ENCODED_LEN: usize = 2;

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        u8::decode(input).map(Overclaimed)
    }
}

#[test]
#[should_panic(expected = "does not round-trip")]
fn round_trip_catches_a_codec_that_does_not_round_trip() {
    __fuzz::round_trip::<Asymmetric>(&[7]);
}

#[test]
#[should_panic(expected = "below MIN_ENCODED_LEN")]
fn round_trip_catches_a_wrong_minimum_length() {
    __fuzz::round_trip::<Overclaimed>(&[7]);
}

#[test]
fn round_trip_passes_the_codec_on_valid_and_invalid_bytes() {
    let value = (3u16, "text".to_string(), Some(vec![1u8]));
    __fuzz::round_trip::<(u16, String, Option<Vec<u8>>)>(&to_bytes(&value));
    assert!(from_bytes::<bool>(&[2]).is_err());
    __fuzz::round_trip::<bool>(&[2]);
    // A non-canonical varint length (0x80 0x00 is 0) decodes and re-encodes shorter.
    __fuzz::round_trip::<String>(&[0x80, 0x00]);
}

/// Fixed: decoding a derived recursive type recursed once per level of nesting, with no
/// limit, so bytes that nested deeply enough overflowed the thread's stack and aborted the
/// process where the codec promises an error. Found with a crafted input on the
/// `codec_decode` target (`0x82` selects `Event`, then 100,000 `Nested` tags and a
/// `Started`): AddressSanitizer reported a stack overflow in `<Event as Codec>::decode`, and
/// a checksummed record holding such bytes aborted `open` of a queue of that type. `Box` and
/// `Vec` now count their nesting and stop at `MAX_DECODE_DEPTH` with `DecodeError::TooDeep`.
/// A stack overflow cannot be caught, so the decode runs in a child process.
#[test]
fn deeply_nested_derived_values_are_a_decode_error_not_a_stack_overflow() {
    const CHILD: &str = "ELASTICQ_FUZZ_NESTED_CHILD";
    let input = [&[0x82][..], &[3; 100_000], &[0]].concat();
    if std::env::var_os(CHILD).is_some() {
        derived::codec_decode(&input);
        assert_eq!(
            from_bytes::<derived::Event>(&input[1..]),
            Err(elasticq::DecodeError::TooDeep {
                max: elasticq::MAX_DECODE_DEPTH
            })
        );
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "deeply_nested_derived_values_are_a_decode_error_not_a_stack_overflow",
        ])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "decoding 100,000 nested values killed the process: {status}"
    );
}
