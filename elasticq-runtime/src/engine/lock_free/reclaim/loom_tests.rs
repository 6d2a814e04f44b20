//! Loom models of the reclamation scheme itself: a `Domain` and a `Bin` per execution,
//! threads registered explicitly, both barriers loom's `fence(SeqCst)`.
//!
//! A reader pins, loads a shared pointer, reads the pointee and unpins; the reclaimer swaps
//! the pointer, retires the old pointee and collects. "Freeing" writes the pointee's cell
//! and clears its `alive` flag (memory is released only at the model's end), so a free that
//! overlaps a pinned read fails twice over: the reader's assertion, and loom's race check on
//! the cell, which needs the free to happen after the read.
//!
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2 \
//!  cargo test -p elasticq-runtime --release --lib reclaim`

use std::sync::atomic::AtomicUsize as StdAtomicUsize;

use loom::sync::Arc;
use loom::thread;

use super::epoch::Domain;
use super::Bin;
use crate::sync::{AtomicBool, AtomicPtr, Ordering, UnsafeCell};

/// A value readers check is still alive.
struct Pointee {
    alive: AtomicBool,
    value: UnsafeCell<usize>,
}

impl Pointee {
    fn boxed(value: usize) -> *mut Pointee {
        Box::into_raw(Box::new(Pointee {
            alive: AtomicBool::new(true),
            value: UnsafeCell::new(value),
        }))
    }
}

/// What the collector does instead of freeing: write the value and mark it dead.
fn kill(ptr: *mut Pointee) {
    // SAFETY: pointees are released only at the model's end, so `ptr` is allocated; the
    // write is what loom checks against concurrent reads.
    let pointee = unsafe { &*ptr };
    pointee.value.with_mut(|value| {
        // SAFETY: loom checks that no read of the cell is concurrent with this write.
        unsafe { *value = 0 }
    });
    pointee.alive.store(false, Ordering::Relaxed);
}

fn is_alive(ptr: *mut Pointee) -> bool {
    // SAFETY: pointees are released only at the model's end.
    unsafe { &*ptr }.alive.load(Ordering::Relaxed)
}

struct Shared {
    domain: Domain,
    bin: Bin<Pointee>,
    current: AtomicPtr<Pointee>,
}

impl Shared {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            domain: Domain::new(),
            bin: Bin::new(),
            current: AtomicPtr::new(Pointee::boxed(1)),
        })
    }

    /// A reader's whole life: register, pin, read, unpin.
    fn read(&self) {
        let handle = self.domain.register();
        let guard = handle.pin();
        let ptr = self.current.load(Ordering::Acquire);
        // SAFETY: loaded while pinned; pointees are released only at the model's end.
        let pointee = unsafe { &*ptr };
        assert!(
            pointee.alive.load(Ordering::Relaxed),
            "freed while a pinned reader can reach it"
        );
        pointee.value.with(|value| {
            // SAFETY: loom checks that no free (write) is concurrent with this read.
            assert_ne!(unsafe { *value }, 0, "read a freed value");
        });
        drop(guard);
    }

    /// Swaps in a new pointee and retires the old one, then collects under `rounds` fresh
    /// pins (the first collection is made under the retiring pin). Returns the old pointee.
    fn replace_and_collect(&self, handle_rounds: usize) -> *mut Pointee {
        let handle = self.domain.register();
        let old = {
            let guard = handle.pin();
            let old = self.current.swap(Pointee::boxed(2), Ordering::AcqRel);
            // SAFETY: pinned in `domain`; `old` is unlinked (swapped out) and retired once;
            // `kill` never releases memory.
            unsafe { self.bin.retire(&self.domain, old) };
            self.bin.collect(&self.domain, kill);
            drop(guard);
            old
        };
        for _ in 0..handle_rounds {
            let guard = handle.pin();
            self.bin.collect(&self.domain, kill);
            drop(guard);
        }
        old
    }

    /// Swaps in a new pointee and retires the old one, without collecting.
    fn replace(&self) -> *mut Pointee {
        let handle = self.domain.register();
        let guard = handle.pin();
        let old = self.current.swap(Pointee::boxed(2), Ordering::AcqRel);
        // SAFETY: pinned in `domain`; `old` is unlinked (swapped out) and retired once;
        // `kill` never releases memory.
        unsafe { self.bin.retire(&self.domain, old) };
        drop(guard);
        old
    }

    /// Collects under `rounds` fresh pins.
    fn collect(&self, rounds: usize) {
        let handle = self.domain.register();
        for _ in 0..rounds {
            let guard = handle.pin();
            self.bin.collect(&self.domain, kill);
            drop(guard);
        }
    }

    /// After every reader is gone: three more collections free `old` (liveness), then
    /// the model's memory is released.
    fn finish(&self, old: *mut Pointee) {
        let handle = self.domain.register();
        for _ in 0..3 {
            let guard = handle.pin();
            self.bin.collect(&self.domain, kill);
            drop(guard);
        }
        assert!(!is_alive(old), "retired and unreachable, yet never freed");
        assert!(self.bin.is_empty());
        drop(handle);
        // SAFETY: every thread is done; `old` and the current pointee came from
        // `Pointee::boxed` and are released once, here.
        unsafe {
            drop(Box::from_raw(old));
            drop(Box::from_raw(self.current.load(Ordering::Acquire)));
        }
    }
}

fn model(readers: usize, rounds: usize, freed_early: &'static StdAtomicUsize) {
    loom::model(move || {
        let shared = Shared::new();
        let threads: Vec<_> = (0..readers)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || shared.read())
            })
            .collect();
        let old = shared.replace_and_collect(rounds);
        if !is_alive(old) {
            freed_early.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        for reader in threads {
            reader.join().expect("no reader saw a freed value");
        }
        shared.finish(old);
    });
}

#[test]
fn a_pinned_reader_keeps_what_it_loaded() {
    static FREED_EARLY: StdAtomicUsize = StdAtomicUsize::new(0);
    // Two rounds after the retiring one: enough to free while the reader may still run.
    model(1, 2, &FREED_EARLY);
    assert!(
        FREED_EARLY.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "no execution freed the old value while the reader was alive"
    );
}

#[test]
fn two_pinned_readers_keep_what_they_loaded() {
    static FREED_EARLY: StdAtomicUsize = StdAtomicUsize::new(0);
    model(2, 2, &FREED_EARLY);
    assert!(
        FREED_EARLY.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "no execution freed the old value while the readers were alive"
    );
}

#[test]
fn a_collector_on_another_thread_waits_for_the_reader() {
    // The retiring thread does not collect: the collector's heavy barrier, not the
    // retirer's fence, is what must order the scan after the reader's pin.
    static FREED_EARLY: StdAtomicUsize = StdAtomicUsize::new(0);
    loom::model(|| {
        let shared = Shared::new();
        let reader = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || shared.read())
        };
        let collector = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || shared.collect(3))
        };
        let old = shared.replace();
        reader.join().expect("the reader saw no freed value");
        collector.join().expect("the collector finishes");
        if !is_alive(old) {
            FREED_EARLY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        shared.finish(old);
    });
    assert!(
        FREED_EARLY.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the collector never freed the old value"
    );
}
