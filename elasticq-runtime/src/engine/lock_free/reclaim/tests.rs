//! Unit tests of the reclamation scheme, through the engine's API (`pin`, `Limbo`) and the
//! global domain, which other tests of this binary pin concurrently: waits for frees are
//! bounded retries, and record counts allow for other tests' threads.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use super::barrier::{self, Mode};
use super::epoch::Domain;
use super::imp::DOMAIN;
use super::{pin, Limbo};

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Collects under fresh pins until `done` or a deadline (other tests' pins can hold the
/// epoch back for a moment); returns whether `done` was reached.
fn collect_until<S>(limbo: &Limbo<S>, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        {
            let guard = pin();
            limbo.collect(&guard);
        }
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::yield_now();
    }
}

#[test]
fn reports_the_barrier_mode() {
    let mode = barrier::mode();
    println!("reclaim barrier mode: {mode:?}");
    // Decided once: asking again gives the same answer.
    assert_eq!(barrier::mode(), mode);
    if cfg!(not(target_os = "linux")) {
        assert_eq!(mode, Mode::Symmetric);
    }
}

#[test]
fn retire_then_collect_frees_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let limbo = Limbo::new();
    assert!(limbo.is_empty());
    {
        let guard = pin();
        let ptr = Box::into_raw(Box::new(Counted(Arc::clone(&drops))));
        // SAFETY: a fresh Box, retired once, never shared.
        unsafe { limbo.retire(&guard, ptr) };
        assert!(!limbo.is_empty());
        // The retiring thread is pinned: the grace period cannot pass under its own guard.
        limbo.collect(&guard);
        assert_eq!(drops.load(Ordering::SeqCst), 0);
    }
    assert!(collect_until(&limbo, || drops.load(Ordering::SeqCst) == 1));
    assert!(limbo.is_empty());
    for _ in 0..10 {
        let guard = pin();
        limbo.collect(&guard);
    }
    drop(limbo);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn dropping_the_limbo_frees_what_is_left() {
    let drops = Arc::new(AtomicUsize::new(0));
    let limbo = Limbo::new();
    let guard = pin();
    for _ in 0..5 {
        let ptr = Box::into_raw(Box::new(Counted(Arc::clone(&drops))));
        // SAFETY: fresh Boxes, each retired once, never shared.
        unsafe { limbo.retire(&guard, ptr) };
    }
    drop(guard);
    drop(limbo);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn a_guard_on_another_thread_blocks_freeing_until_released() {
    let drops = Arc::new(AtomicUsize::new(0));
    let limbo = Limbo::new();
    let (pinned_tx, pinned_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let guard = pin();
        let _ = pinned_tx.send(());
        let _ = release_rx.recv();
        drop(guard);
    });
    pinned_rx.recv().expect("the holder pinned");
    {
        let guard = pin();
        let ptr = Box::into_raw(Box::new(Counted(Arc::clone(&drops))));
        // SAFETY: a fresh Box, retired once, never shared.
        unsafe { limbo.retire(&guard, ptr) };
    }
    // The holder pinned before the retirement, at some epoch e <= t: the global epoch cannot
    // pass e + 1 while it stays pinned, so the entry (freed at t + 3) must stay.
    for _ in 0..50 {
        let guard = pin();
        limbo.collect(&guard);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert!(!limbo.is_empty());
    release_tx.send(()).expect("the holder waits");
    holder.join().expect("the holder exits cleanly");
    assert!(collect_until(&limbo, || drops.load(Ordering::SeqCst) == 1));
    drop(limbo);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn nested_pins_count_and_the_outermost_unpins() {
    let outer = pin();
    assert!(outer.local().is_pinned());
    let inner = pin();
    assert!(inner.local().is_pinned());
    assert_eq!(outer.local().participant(), inner.local().participant());
    // Dropped out of order: the thread stays pinned while either lives.
    drop(outer);
    assert!(inner.local().is_pinned());
    let third = pin();
    drop(inner);
    assert!(third.local().is_pinned());
    let record = third.local().participant();
    drop(third);
    // SAFETY: records of the static domain are never freed.
    let released = unsafe { &*record };
    assert!(!released.is_pinned(), "the outermost drop unpins");
    let again = pin();
    assert_eq!(
        again.local().participant(),
        record,
        "the thread keeps its record"
    );
    assert!(again.local().is_pinned());
}

#[test]
fn nested_guards_keep_blocking_until_the_outermost_drops() {
    let drops = Arc::new(AtomicUsize::new(0));
    let limbo = Limbo::new();
    let (pinned_tx, pinned_rx) = mpsc::channel();
    let (step_tx, step_rx) = mpsc::channel::<()>();
    let (stepped_tx, stepped_rx) = mpsc::channel();
    let holder = thread::spawn(move || {
        let outer = pin();
        let inner = pin();
        let _ = pinned_tx.send(());
        let _ = step_rx.recv();
        drop(inner); // still pinned through `outer`
        let _ = stepped_tx.send(());
        let _ = step_rx.recv();
        drop(outer);
    });
    pinned_rx.recv().expect("the holder pinned");
    {
        let guard = pin();
        let ptr = Box::into_raw(Box::new(Counted(Arc::clone(&drops))));
        // SAFETY: a fresh Box, retired once, never shared.
        unsafe { limbo.retire(&guard, ptr) };
    }
    step_tx.send(()).expect("the holder waits");
    stepped_rx
        .recv()
        .expect("the holder dropped its inner guard");
    for _ in 0..50 {
        let guard = pin();
        limbo.collect(&guard);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    step_tx.send(()).expect("the holder waits");
    holder.join().expect("the holder exits cleanly");
    assert!(collect_until(&limbo, || drops.load(Ordering::SeqCst) == 1));
}

#[test]
fn exited_threads_release_their_records() {
    // Warm up: make sure this thread and a first spawned one are registered.
    drop(pin());
    thread::spawn(|| drop(pin()))
        .join()
        .expect("a pinning thread exits cleanly");
    let before = DOMAIN.records();
    for _ in 0..100 {
        thread::spawn(|| {
            let guard = pin();
            drop(pin());
            drop(guard);
        })
        .join()
        .expect("a pinning thread exits cleanly");
    }
    let grown = DOMAIN.records() - before;
    // Sequential threads reuse one record; other tests running meanwhile may add the few
    // their own live threads need, nowhere near one per spawned thread.
    assert!(
        grown < 50,
        "the participant list grew by {grown} over 100 threads"
    );
}

#[test]
fn a_domain_reuses_released_records() {
    let domain = Domain::new();
    let first = domain.register();
    let record: *const _ = first.participant();
    drop(first);
    let second = domain.register();
    assert_eq!(second.participant() as *const _, record);
    let third = domain.register();
    assert_ne!(third.participant() as *const _, record);
    assert_eq!(domain.records(), 2);
}

#[test]
fn a_registration_dropped_under_a_live_guard_is_released_by_the_guard() {
    let domain = Domain::new();
    let handle = domain.register();
    let record: *const _ = handle.participant();
    let guard = handle.pin();
    drop(handle);
    // The record is still owned (by the guard): a new registration gets another.
    let other = domain.register();
    assert_ne!(other.participant() as *const _, record);
    drop(other);
    assert!(guard.is_pinned());
    drop(guard);
    // Now both are free; the most recently pushed record is found first.
    let again = domain.register();
    let again_record: *const _ = again.participant();
    let spare = domain.register();
    let spare_record: *const _ = spare.participant();
    assert!(again_record == record || spare_record == record);
    assert_eq!(domain.records(), 2);
}

#[test]
fn the_epoch_advances_only_when_every_pinned_participant_is_current() {
    let domain = Domain::new();
    let a = domain.register();
    let b = domain.register();
    let start = domain.epoch();
    let pinned_a = a.pin();
    // `a` pinned at `start`: one advance.
    assert!(domain.try_advance().is_ok());
    assert_eq!(domain.epoch(), start.wrapping_add(2));
    // `a` is now behind: no further advance, even with `b` current.
    let pinned_b = b.pin();
    for _ in 0..3 {
        assert!(domain.try_advance().is_ok());
    }
    assert_eq!(domain.epoch(), start.wrapping_add(2));
    drop(pinned_a);
    assert!(domain.try_advance().is_ok());
    assert_eq!(domain.epoch(), start.wrapping_add(4));
    // `b` pinned at start + 2 is behind now.
    assert!(domain.try_advance().is_ok());
    assert_eq!(domain.epoch(), start.wrapping_add(4));
    drop(pinned_b);
    assert!(domain.try_advance().is_ok());
    assert_eq!(domain.epoch(), start.wrapping_add(6));
}

#[test]
fn a_detached_pin_takes_and_returns_a_record() {
    let domain = Domain::new();
    let guard = domain.pin_detached();
    assert!(guard.is_pinned());
    let record = guard.participant();
    drop(guard);
    let handle = domain.register();
    assert_eq!(handle.participant() as *const _, record);
    assert_eq!(domain.records(), 1);
}

/// Pins, retires and collects from its destructor, which may run after this thread's
/// registration is gone.
struct PinsOnDrop(Arc<AtomicUsize>);

impl Drop for PinsOnDrop {
    fn drop(&mut self) {
        let guard = pin();
        let nested = pin();
        let limbo = Limbo::new();
        let ptr = Box::into_raw(Box::new(Counted(Arc::clone(&self.0))));
        // SAFETY: a fresh Box, retired once, never shared.
        unsafe { limbo.retire(&nested, ptr) };
        limbo.collect(&guard);
        drop(nested);
        drop(guard);
        drop(limbo);
    }
}

thread_local! {
    static PINS_ON_DROP: std::cell::RefCell<Option<PinsOnDrop>> =
        const { std::cell::RefCell::new(None) };
}

#[test]
fn pinning_from_thread_local_destructors_does_not_panic() {
    let drops = Arc::new(AtomicUsize::new(0));
    for pin_first in [false, true] {
        let drops = Arc::clone(&drops);
        thread::spawn(move || {
            if pin_first {
                drop(pin());
            }
            PINS_ON_DROP.with(|slot| *slot.borrow_mut() = Some(PinsOnDrop(drops)));
            if !pin_first {
                // Registered after PINS_ON_DROP: destroyed before it, on Linux.
                drop(pin());
            }
        })
        .join()
        .expect("a thread pinning in its destructors exits cleanly");
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

/// A value whose canary is wrong once it has been dropped (or its memory reused).
struct Canaried {
    canary: u64,
    serial: u64,
    drops: Arc<AtomicUsize>,
}

const ALIVE: u64 = 0x5eed_cafe_f00d_d00d;
const DEAD: u64 = 0xdead_dead_dead_dead;

impl Drop for Canaried {
    fn drop(&mut self) {
        assert_eq!(self.canary, ALIVE, "dropped twice");
        self.canary = DEAD;
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn readers_never_see_a_freed_value() {
    const READERS: usize = 4;
    const SWAPS: u64 = 20_000;
    let drops = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(AtomicPtr::new(Box::into_raw(Box::new(Canaried {
        canary: ALIVE,
        serial: 0,
        drops: Arc::clone(&drops),
    }))));
    let limbo = Arc::new(Limbo::<Canaried>::new());
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let shared = Arc::clone(&shared);
            let done = Arc::clone(&done);
            thread::spawn(move || {
                let mut reads = 0u64;
                let mut last = 0;
                while !done.load(Ordering::Relaxed) && reads < 4_000_000 {
                    let guard = pin();
                    let ptr = shared.load(Ordering::Acquire);
                    // SAFETY: loaded while pinned; the writer retires only what it has
                    // swapped out, so `ptr` stays allocated until `guard` drops.
                    let value = unsafe { &*ptr };
                    assert_eq!(value.canary, ALIVE, "read a freed value");
                    assert!(value.serial >= last, "serials go forward");
                    last = value.serial;
                    std::hint::black_box(value.serial);
                    assert_eq!(value.canary, ALIVE, "value freed while pinned");
                    drop(guard);
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let writer = {
        let shared = Arc::clone(&shared);
        let limbo = Arc::clone(&limbo);
        let drops = Arc::clone(&drops);
        thread::spawn(move || {
            for serial in 1..=SWAPS {
                let fresh = Box::into_raw(Box::new(Canaried {
                    canary: ALIVE,
                    serial,
                    drops: Arc::clone(&drops),
                }));
                let guard = pin();
                let old = shared.swap(fresh, Ordering::AcqRel);
                // SAFETY: `old` came from Box::into_raw, was swapped out (no later pin can
                // load it), and is retired once.
                unsafe { limbo.retire(&guard, old) };
                limbo.collect(&guard);
            }
        })
    };
    writer.join().expect("the writer finishes");
    done.store(true, Ordering::Relaxed);
    let reads: u64 = readers
        .into_iter()
        .map(|reader| reader.join().expect("no reader saw a freed value"))
        .sum();
    let freed_while_running = drops.load(Ordering::SeqCst);
    println!("{reads} reads, {freed_while_running} of {SWAPS} retired values freed while running");
    assert!(freed_while_running > 0, "the collector freed nothing");
    let limbo = Arc::try_unwrap(limbo).unwrap_or_else(|_| panic!("the limbo is unshared"));
    drop(limbo);
    assert_eq!(drops.load(Ordering::SeqCst), SWAPS as usize);
    // SAFETY: the last value, never retired, unshared now.
    drop(unsafe { Box::from_raw(shared.load(Ordering::Acquire)) });
    assert_eq!(drops.load(Ordering::SeqCst), SWAPS as usize + 1);
}

/// Prints the cost of an uncontended pin and unpin (outermost and nested); no assertion on
/// time. `cargo test -p elasticq-runtime --release --lib pin_cost -- --ignored --nocapture`
#[test]
#[ignore = "measurement"]
fn pin_cost() {
    const ROUNDS: u32 = 20_000_000;
    drop(pin());
    let start = Instant::now();
    for _ in 0..ROUNDS {
        drop(std::hint::black_box(pin()));
    }
    let outer = start.elapsed().as_secs_f64() * 1e9 / f64::from(ROUNDS);
    let held = pin();
    let start = Instant::now();
    for _ in 0..ROUNDS {
        drop(std::hint::black_box(pin()));
    }
    let nested = start.elapsed().as_secs_f64() * 1e9 / f64::from(ROUNDS);
    drop(held);
    println!(
        "mode {:?}: pin+unpin {outer:.2} ns, nested pin+unpin {nested:.2} ns",
        barrier::mode()
    );
}

#[test]
fn limbo_is_send_and_sync_for_send_values() {
    fn send_and_sync<T: Send + Sync>() {}
    // `Cell` is Send but not Sync: the limbo only ever drops what it holds.
    send_and_sync::<Limbo<std::cell::Cell<u64>>>();
}
