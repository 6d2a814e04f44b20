#![cfg(all(feature = "persist", unix))]
//! Crash tests of persisted queues: a child process is killed with SIGKILL at random moments,
//! round after round, and the parent checks what survived.
//!
//! # Protocol
//!
//! The test binary re-executes itself as the child: the parent spawns
//! `current_exe() crash::crash_child --exact --nocapture --test-threads=1` with the environment
//! variable `ELASTICQ_CRASH_CHILD` set to the child's role; [`crash_child`] returns at once
//! when the variable is not set, so it is a no-op in an ordinary `cargo test` run. The roles:
//!
//! - `push:<round>:<dir>`: the child opens the queue in `<dir>`, prints `@ready`, then
//!   [`PRODUCERS`] threads push `Entry { round, producer, n, payload }` for n = 0, 1, 2, ...
//!   under `sync = every_write`, each printing `@ok <producer> <n>` (and flushing) once its
//!   push returned `Ok`.
//! - `deliver:<seed>:<dir>`: the child opens the queue, prints `@ready`, then loops on
//!   `pop_delivery`, printing `@delivered <round> <n>` for each task it got; it acknowledges
//!   the tasks chosen by [`acks`]`(seed, ..)`, printing `@acked <round> <n>` once `ack()`
//!   returned `Ok`, and keeps the others unacknowledged (alive, never dropped). When the
//!   queue is empty it prints `@empty` and waits to be killed.
//!
//! Each line is written with one `write` on a pipe, so it reaches the parent whole or not at
//! all. The test harness prints lines of its own (and may prefix the child's first line), so
//! the parent only looks at what follows a `@`. The child also watches its stdin and exits if
//! the parent goes away, so a failing parent leaves no orphan behind.
//!
//! The parent reads the child's lines until a random moment (5..150 ms after `@ready`; for
//! one round in five, 0..25 ms after the spawn instead, so that some kills land while the
//! child starts, opens and recovers the queue), SIGKILLs it, reaps it, and reads what is
//! left in the pipe: those lines count, each was printed after its call had returned. A
//! child that exits by itself (its open failed, it panicked) fails the test, with its
//! stderr. Then the parent reopens the queue and checks (and drops it again before the next
//! round's child opens the same directory):
//!
//! - pushes: per producer, the recovered `n` are exactly `0..k`, in order (no duplicate, no
//!   hole), with every reported `n` among them, and at most two more than were reported (one
//!   whose `Ok` was not printed yet, one in flight); nothing from an earlier round comes back,
//!   and payloads are intact. The parent drains the queue before the next round.
//! - deliveries: the parent keeps a model of the backlog (it pushes a batch each round, and
//!   unacknowledged tasks carry over between rounds). The child pops in queue order, so what
//!   it reported delivered is a prefix of the backlog, and what it reported acked is exactly
//!   the tasks [`acks`] picks among them (but perhaps the last one delivered). After the kill,
//!   no task reported acked is present; every other task (delivered and kept, or never
//!   delivered) is present exactly once, in order, except perhaps the one task whose `ack()`
//!   was in flight: the last one reported delivered, when [`acks`] picks it and it was not
//!   reported acked. Most rounds the parent looks with `pop_delivery` and does not acknowledge
//!   (so the backlog survives one more reopen); some rounds it drains.
//!
//! The random durations come from a xorshift generator seeded from the clock, or from
//! `ELASTICQ_CRASH_SEED`; every failure message names the seed and the round. An `open` that
//! fails with `Locked` (in the parent or the child) names the processes that hold the
//! directory's `LOCK` file open, on Linux.
//!
//! No assertion is about time: the kill moments only vary where the child is when it dies,
//! and the one timeout ([`HANG_GUARD`]) only keeps a child that never starts from hanging the
//! test.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use elasticq::{ElasticQueue, Error, PersistError};

/// The environment variable that makes [`crash_child`] act as the child.
const CHILD_ENV: &str = "ELASTICQ_CRASH_CHILD";
/// Overrides the seed of the random kill moments and acknowledgement choices.
const SEED_ENV: &str = "ELASTICQ_CRASH_SEED";
/// The name of the child's test, as `--exact` wants it: its path in the `persist` test crate.
const CHILD_TEST: &str = "crash::crash_child";
/// Small segments: the log rolls often, and creating a segment (zero-filled) is cheap.
const SEGMENT_BYTES: u64 = 64 * 1024;
/// Pushing threads in the `push` child.
const PRODUCERS: usize = 3;
/// Kill-and-check rounds of each test.
const PUSH_ROUNDS: u32 = 60;
const DELIVER_ROUNDS: u32 = 60;
/// Tasks the parent pushes before each delivery round.
const TASKS_PER_ROUND: u32 = 1500;
/// Not a timing assertion: only keeps a child that never gets ready from hanging the test.
const HANG_GUARD: Duration = Duration::from_secs(120);

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write))]
struct Entry {
    round: u32,
    producer: u32,
    n: u64,
    payload: Vec<u8>,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write))]
struct Task {
    round: u32,
    n: u32,
    body: String,
}

// ---------------------------------------------------------------------------------------
// Deterministic data

/// The splitmix64 finalizer: a well-mixed hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A tiny xorshift64 generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(mix(seed) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `low..high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

/// Milliseconds until the kill: 5..150 after `@ready`, or 0..25 after the spawn (when the
/// child is starting, opening or recovering the queue).
fn kill_after(rng: &mut Rng, from_spawn: bool) -> u64 {
    if from_spawn {
        rng.range(0, 25)
    } else {
        rng.range(5, 150)
    }
}

fn seed() -> u64 {
    match std::env::var(SEED_ENV) {
        Ok(seed) => seed
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_ENV} must be a u64, not {seed:?}")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64),
    }
}

/// The payload of an entry: 0..300 bytes that depend on the entry, so that records straddle
/// segment ends at varied offsets and a damaged payload is noticed.
fn payload(round: u32, producer: u32, n: u64) -> Vec<u8> {
    let key = mix((u64::from(round) << 40) ^ (u64::from(producer) << 32) ^ n);
    let len = (key % 300) as usize;
    (0..len)
        .map(|i| (key >> (i % 8 * 8)) as u8 ^ i as u8)
        .collect()
}

fn body(round: u32, n: u32) -> String {
    format!("task {round}/{n} {}", "x".repeat((n % 97) as usize))
}

/// Whether the `deliver` child with `seed` acknowledges task `(round, n)` (two in three).
fn acks(seed: u64, (round, n): (u32, u32)) -> bool {
    !mix(seed ^ (u64::from(round) << 32 | u64::from(n))).is_multiple_of(3)
}

// ---------------------------------------------------------------------------------------
// The child

/// The child's side of the protocol; a no-op unless `ELASTICQ_CRASH_CHILD` is set.
#[test]
fn crash_child() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    // The parent holds our stdin open while it lives: once it is gone, so are we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(3);
    });
    let mut parts = role.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("push"), Some(round), Some(dir)) => push_child(round.parse().unwrap(), dir),
        (Some("deliver"), Some(seed), Some(dir)) => deliver_child(seed.parse().unwrap(), dir),
        _ => panic!("unknown {CHILD_ENV} role {role:?}"),
    }
}

/// Writes one line to the parent, in one `write`, and flushes it.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .expect("write to the parent");
}

fn push_child(round: u32, dir: &str) -> ! {
    let queue = EntryQueue::builder()
        .dir(dir)
        .segment_bytes(SEGMENT_BYTES)
        .build()
        .unwrap_or_else(|error| panic!("child: open {dir}: {error}{}", holders(&error, dir)));
    say("@ready\n");
    std::thread::scope(|scope| {
        for producer in 0..PRODUCERS as u32 {
            let queue = &queue;
            scope.spawn(move || {
                for n in 0.. {
                    let entry = Entry {
                        round,
                        producer,
                        n,
                        payload: payload(round, producer, n),
                    };
                    if let Err(error) = queue.push(entry) {
                        panic!("child: push {producer}/{n}: {error}");
                    }
                    say(&format!("@ok {producer} {n}\n"));
                }
            });
        }
    });
    unreachable!("the producers push until killed")
}

fn deliver_child(seed: u64, dir: &str) -> ! {
    let queue = TaskQueue::builder()
        .dir(dir)
        .segment_bytes(SEGMENT_BYTES)
        .build()
        .unwrap_or_else(|error| panic!("child: open {dir}: {error}{}", holders(&error, dir)));
    say("@ready\n");
    let mut kept = Vec::new(); // unacknowledged, and not dropped either
    while let Some(delivery) = queue.pop_delivery() {
        let key = (delivery.round, delivery.n);
        say(&format!("@delivered {} {}\n", key.0, key.1));
        if acks(seed, key) {
            match delivery.ack() {
                Ok(task) => say(&format!("@acked {} {}\n", task.round, task.n)),
                Err(failed) => panic!("child: ack {key:?}: {}", failed.error()),
            }
        } else {
            kept.push(delivery);
        }
    }
    say("@empty\n");
    loop {
        std::thread::park();
    }
}

// ---------------------------------------------------------------------------------------
// The parent's side: running and killing a child

/// A running child; killed if dropped (a failing parent leaves no child behind).
struct Running {
    child: Child,
    role: String,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    fn spawn(role: String) -> Running {
        let mut child = Command::new(std::env::current_exe().expect("the test binary"))
            .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &role)
            .env_remove(SEED_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Ours start at '@'; the harness may have printed "test crash::crash_child ... "
                // just before the first one.
                if let Some(at) = line.find('@') {
                    if sender.send(line[at..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Running {
            stdin: child.stdin.take(),
            child,
            role,
            lines,
            stderr: Some(stderr),
        }
    }

    /// Fails the test with the child's exit status and stderr.
    fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let status = match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(error) => format!("not reaped: {error}"),
        };
        let stderr = self.stderr.take().map(|t| t.join().unwrap_or_default());
        panic!(
            "child {:?} {what} ({status}); its stderr:\n{}",
            self.role,
            stderr.unwrap_or_default()
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a killed child had printed.
struct Killed {
    lines: Vec<String>,
    /// The child had printed `@ready` (it had opened the queue).
    ready: bool,
    /// The `deliver` child had found the queue empty.
    empty: bool,
}

/// Runs a child in `role` and SIGKILLs it `window` after it printed `@ready` (or after it was
/// spawned, when `from_spawn`), and returns every `@` line it printed before dying.
fn run_and_kill(role: String, window: Duration, from_spawn: bool) -> Killed {
    use std::os::unix::process::ExitStatusExt;

    let mut running = Running::spawn(role);
    let mut deadline = from_spawn.then(|| Instant::now() + window);
    let mut lines = Vec::new();
    loop {
        let timeout = match deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => HANG_GUARD,
        };
        if timeout.is_zero() {
            break;
        }
        match running.lines.recv_timeout(timeout) {
            Ok(line) => {
                if deadline.is_none() && line == "@ready" {
                    deadline = Some(Instant::now() + window);
                }
                lines.push(line);
            }
            Err(RecvTimeoutError::Timeout) if deadline.is_some() => break,
            Err(RecvTimeoutError::Timeout) => running.fail("never printed @ready"),
            Err(RecvTimeoutError::Disconnected) => running.fail("exited by itself"),
        }
    }
    running.child.kill().expect("SIGKILL the child");
    let status = running.child.wait().expect("reap the child");
    if status.signal() != Some(9) {
        running.fail("exited by itself before the kill");
    }
    drop(running.stdin.take());
    // Lines still in the pipe count: each was printed after its call had returned.
    lines.extend(running.lines.iter());
    Killed {
        ready: lines.iter().any(|line| line == "@ready"),
        empty: lines.iter().any(|line| line == "@empty"),
        lines,
    }
}

/// A list in a failure message: its length, and its first items.
fn brief<T: std::fmt::Debug>(items: &[T]) -> String {
    const SHOWN: usize = 24;
    if items.len() <= SHOWN {
        format!("{items:?}")
    } else {
        format!("{} items, first {:?} ...", items.len(), &items[..SHOWN])
    }
}

/// The items of a list around index `at`, for a failure message.
fn around<T: std::fmt::Debug>(items: &[T], at: usize) -> String {
    let from = at.saturating_sub(4);
    let to = (at + 5).min(items.len());
    format!("[{from}..{to}] of {}: {:?}", items.len(), &items[from..to])
}

/// The words after `tag` in a line like `@tag 1 2`, parsed.
fn fields<const N: usize>(line: &str, tag: &str) -> Option<[u64; N]> {
    let rest = line.strip_prefix(tag)?.strip_prefix(' ')?;
    let words: Vec<u64> = rest
        .split(' ')
        .map(|word| word.parse().unwrap_or_else(|_| panic!("bad line {line:?}")))
        .collect();
    Some(
        words
            .try_into()
            .unwrap_or_else(|_| panic!("bad line {line:?}")),
    )
}

/// For an `open` that failed with `Locked`: the processes that hold `dir`'s `LOCK` file open
/// (a lock is shared by every process that shares its open file), read from `/proc`.
fn holders(error: &Error, dir: impl AsRef<Path>) -> String {
    if !matches!(error, Error::Persist(PersistError::Locked { .. })) {
        return String::new();
    }
    let lock = dir.as_ref().join("LOCK");
    let lock = std::fs::canonicalize(&lock).unwrap_or(lock);
    let mut found = format!(
        "\nprocesses holding {} open (this one is {}):",
        lock.display(),
        std::process::id()
    );
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return found + " (no /proc)";
    };
    for process in processes.flatten() {
        let pid = process.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        if files
            .flatten()
            .any(|file| std::fs::read_link(file.path()).is_ok_and(|target| target == lock))
        {
            let command = std::fs::read(process.path().join("cmdline")).unwrap_or_default();
            let command = String::from_utf8_lossy(&command).replace('\0', " ");
            found += &format!("\n  {pid}: {command}");
        }
    }
    found
}

fn open_entries(dir: &Path) -> EntryQueue {
    EntryQueue::builder()
        .dir(dir)
        .segment_bytes(SEGMENT_BYTES)
        .build()
        .unwrap_or_else(|error| panic!("reopen {}: {error}{}", dir.display(), holders(&error, dir)))
}

fn open_tasks(dir: &Path) -> TaskQueue {
    TaskQueue::builder()
        .dir(dir)
        .segment_bytes(SEGMENT_BYTES)
        .build()
        .unwrap_or_else(|error| panic!("reopen {}: {error}{}", dir.display(), holders(&error, dir)))
}

// ---------------------------------------------------------------------------------------
// The tests

/// Every push that returned `Ok` before the SIGKILL is there after `open`, exactly once, in
/// order; nothing else is, except the pushes not yet reported.
#[test]
fn ok_pushes_survive_sigkill_exactly_once_in_order() {
    let seed = seed();
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let (mut total_reported, mut total_recovered, mut unready) = (0, 0, 0);
    for round in 0..PUSH_ROUNDS {
        let context = format!("seed {seed}, push round {round}");
        let from_spawn = round % 5 == 4;
        let window = Duration::from_millis(kill_after(&mut rng, from_spawn));
        let killed = run_and_kill(
            format!("push:{round}:{}", dir.path().display()),
            window,
            from_spawn,
        );
        unready += usize::from(!killed.ready);

        let mut reported = vec![Vec::new(); PRODUCERS];
        for line in &killed.lines {
            if let Some([producer, n]) = fields::<2>(line, "@ok") {
                reported[producer as usize].push(n);
            }
        }
        let queue = open_entries(dir.path());
        let recovered = queue.drain();
        assert!(queue.is_empty(), "{context}: drain left messages behind");
        drop(queue);

        let mut found = vec![Vec::new(); PRODUCERS];
        for entry in &recovered {
            assert_eq!(
                entry.round, round,
                "{context}: an entry of an earlier, drained round came back: {entry:?}"
            );
            assert!(
                (entry.producer as usize) < PRODUCERS,
                "{context}: unknown producer in {entry:?}"
            );
            assert!(
                entry.payload == payload(entry.round, entry.producer, entry.n),
                "{context}: damaged payload in {entry:?}"
            );
            found[entry.producer as usize].push(entry.n);
        }
        for producer in 0..PRODUCERS {
            let (reported, found) = (&reported[producer], &found[producer]);
            let count = reported.len() as u64;
            assert!(
                reported.iter().copied().eq(0..count),
                "{context}: the child reported producer {producer}'s pushes out of order: {}",
                brief(reported)
            );
            let mut seen = BTreeSet::new();
            let duplicated: Vec<u64> = found.iter().copied().filter(|n| !seen.insert(*n)).collect();
            let lost: Vec<u64> = (0..count).filter(|n| !seen.contains(n)).collect();
            assert!(
                lost.is_empty(),
                "{context}: producer {producer}: pushes that returned Ok are lost: {}; \
                 reported 0..{count}, recovered {} entries: {}",
                brief(&lost),
                found.len(),
                brief(found)
            );
            assert!(
                duplicated.is_empty(),
                "{context}: producer {producer}: recovered more than once: {}; reported \
                 0..{count}, recovered {} entries: {}",
                brief(&duplicated),
                found.len(),
                brief(found)
            );
            if let Some(at) = found.windows(2).position(|pair| pair[0] >= pair[1]) {
                panic!(
                    "{context}: producer {producer}: recovered out of order at index {at}: {}",
                    around(found, at)
                );
            }
            // A push starts once the previous one returned, so what is there is a prefix.
            if let Some(at) = (0..found.len()).find(|&at| found[at] != at as u64) {
                panic!(
                    "{context}: producer {producer}: a hole in the recovered pushes at index \
                     {at}: {}",
                    around(found, at)
                );
            }
            // At most one returned but not reported yet, and one in flight.
            assert!(
                found.len() as u64 <= count + 2,
                "{context}: producer {producer}: {} recovered, but only {count} reported",
                found.len()
            );
        }
        total_reported += reported.iter().map(Vec::len).sum::<usize>();
        total_recovered += recovered.len();
    }
    eprintln!(
        "push crash test (seed {seed}): {PUSH_ROUNDS} rounds, {total_reported} pushes \
         reported Ok, {total_recovered} recovered, {unready} kills before @ready"
    );
    assert!(
        total_reported > 0,
        "seed {seed}: no push was ever reported, the test tested nothing"
    );
}

/// Acknowledged deliveries never come back after a SIGKILL; all others do, once each, in
/// order, across many kills.
#[test]
fn acked_deliveries_never_come_back_unacked_ones_do() {
    let seed = seed();
    let mut rng = Rng::new(seed ^ 0x0de1_17e5);
    let dir = tempfile::tempdir().unwrap();
    // The tasks that must be in the queue, in queue order.
    let mut model: Vec<(u32, u32)> = Vec::new();
    let (mut total_acked, mut total_kept, mut emptied, mut unready, mut in_flight_lost) =
        (0, 0, 0, 0, 0);
    for round in 0..DELIVER_ROUNDS {
        let context = format!("seed {seed}, delivery round {round}");
        {
            let queue = open_tasks(dir.path());
            assert_eq!(
                queue.len(),
                model.len(),
                "{context}: backlog before the round"
            );
            queue
                .push_batch((0..TASKS_PER_ROUND).map(|n| Task {
                    round,
                    n,
                    body: body(round, n),
                }))
                .unwrap_or_else(|error| panic!("{context}: push_batch: {error}"));
            model.extend((0..TASKS_PER_ROUND).map(|n| (round, n)));
        }

        let child_seed = rng.next();
        let from_spawn = round % 5 == 3;
        let window = Duration::from_millis(kill_after(&mut rng, from_spawn));
        let killed = run_and_kill(
            format!("deliver:{child_seed}:{}", dir.path().display()),
            window,
            from_spawn,
        );
        unready += usize::from(!killed.ready);
        emptied += usize::from(killed.empty);
        let reported = |tag: &str| -> Vec<(u32, u32)> {
            killed
                .lines
                .iter()
                .filter_map(|line| fields::<2>(line, tag))
                .map(|[round, n]| (round as u32, n as u32))
                .collect()
        };
        let (delivered, acked) = (reported("@delivered"), reported("@acked"));
        total_acked += acked.len();

        // The child pops in queue order: what it got is a prefix of the backlog.
        assert!(
            model.starts_with(&delivered),
            "{context}: the child was delivered {}, not a prefix of the backlog {}",
            brief(&delivered),
            brief(&model)
        );
        // It acknowledges, one at a time, every task `acks` picks among those: the last one
        // it got may have been in flight (its acknowledgement written, `ack()` not returned)
        // when it died.
        let ackable: Vec<(u32, u32)> = delivered
            .iter()
            .copied()
            .filter(|key| acks(child_seed, *key))
            .collect();
        let in_flight = delivered
            .last()
            .copied()
            .filter(|key| acks(child_seed, *key) && acked.last() != Some(key));
        let settled = ackable.len() - usize::from(in_flight.is_some());
        assert!(
            acked == ackable[..settled],
            "{context}: the child reported acknowledging {}, but it got {} of which it \
             acknowledges {}",
            brief(&acked),
            brief(&delivered),
            brief(&ackable)
        );
        let kept: BTreeSet<(u32, u32)> = delivered
            .iter()
            .copied()
            .filter(|key| !acks(child_seed, *key))
            .collect();
        total_kept += kept.len();
        let acked: BTreeSet<(u32, u32)> = acked.into_iter().collect();
        let expected: Vec<(u32, u32)> = model
            .iter()
            .copied()
            .filter(|key| !acked.contains(key))
            .collect();

        let queue = open_tasks(dir.path());
        let drain = round % 4 == 3 || round + 1 == DELIVER_ROUNDS;
        let tasks: Vec<Task> = if drain {
            queue.drain()
        } else {
            // Look without acknowledging: all of them come back at the next open.
            std::iter::from_fn(|| queue.pop_delivery())
                .map(|delivery| delivery.into_unacked())
                .collect()
        };
        assert!(queue.is_empty(), "{context}: messages left behind");
        drop(queue);
        for task in &tasks {
            assert!(
                task.body == body(task.round, task.n),
                "{context}: damaged body in {task:?}"
            );
        }
        let found: Vec<(u32, u32)> = tasks.iter().map(|task| (task.round, task.n)).collect();

        let resurrected: Vec<_> = found.iter().filter(|key| acked.contains(key)).collect();
        assert!(
            resurrected.is_empty(),
            "{context}: acknowledged tasks came back: {}",
            brief(&resurrected)
        );
        let model_set: BTreeSet<(u32, u32)> = model.iter().copied().collect();
        let unknown: Vec<_> = found
            .iter()
            .filter(|key| !model_set.contains(key))
            .collect();
        assert!(
            unknown.is_empty(),
            "{context}: tasks that were not in the queue came back: {}",
            brief(&unknown)
        );
        let mut seen = BTreeSet::new();
        let duplicated: Vec<_> = found.iter().filter(|key| !seen.insert(**key)).collect();
        assert!(
            duplicated.is_empty(),
            "{context}: tasks recovered more than once: {}",
            brief(&duplicated)
        );
        let lost: Vec<_> = expected
            .iter()
            .filter(|key| !seen.contains(key) && Some(**key) != in_flight)
            .collect();
        let (lost_kept, lost_undelivered): (Vec<_>, Vec<_>) = lost
            .into_iter()
            .copied()
            .partition(|key| kept.contains(key));
        assert!(
            lost_kept.is_empty() && lost_undelivered.is_empty(),
            "{context}: unacknowledged tasks lost: delivered and kept {}, never delivered {} \
             (the ack in flight was {in_flight:?}; expected {} tasks, found {})",
            brief(&lost_kept),
            brief(&lost_undelivered),
            expected.len(),
            found.len()
        );
        if let Some(at) = found.windows(2).position(|pair| pair[0] >= pair[1]) {
            panic!(
                "{context}: recovered out of order at index {at}: {}",
                around(&found, at)
            );
        }
        if let Some(key) = in_flight {
            in_flight_lost += usize::from(!seen.contains(&key));
        }
        model = if drain { Vec::new() } else { found };
    }
    let queue = open_tasks(dir.path());
    assert!(
        queue.is_empty(),
        "seed {seed}: the final drain did not stick"
    );
    eprintln!(
        "delivery crash test (seed {seed}): {DELIVER_ROUNDS} rounds, {total_acked} acks \
         reported, {total_kept} deliveries kept unacknowledged (all came back), \
         {in_flight_lost} acks in flight took effect, {emptied} children ran out of tasks, \
         {unready} kills before @ready"
    );
    assert!(
        total_acked > 0,
        "seed {seed}: no ack was ever reported, the test tested nothing"
    );
}

/// The harness itself: a child that exits by itself (here its open fails, the directory being
/// locked by this process) fails the round, and the failure shows the child's stderr.
#[test]
fn a_child_that_exits_by_itself_fails_with_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let held = open_entries(dir.path());
    let role = format!("push:0:{}", dir.path().display());
    let outcome = std::panic::catch_unwind(move || {
        run_and_kill(role, Duration::from_secs(600), false);
    });
    let message = outcome.expect_err("the child cannot open a locked directory");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("exited by itself") && message.contains("child: open"),
        "{message}"
    );
    drop(held);
    // Once the lock holder is gone, the directory opens; and a second open in this process
    // is refused while one is live.
    let first = open_entries(dir.path());
    assert!(matches!(
        EntryQueue::open(dir.path()),
        Err(Error::Persist(PersistError::Locked { .. }))
    ));
    drop(first);
}
