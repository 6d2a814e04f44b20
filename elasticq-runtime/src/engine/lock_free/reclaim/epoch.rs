//! The epoch domain: the global epoch, the participant records, pinning and advancing.
//!
//! A `Domain` is a value so that loom models can build a fresh one per execution; the engine
//! uses one static domain (`super::DOMAIN`) through thread-local registrations.

use std::marker::PhantomData;
use std::ptr;

use crossbeam_utils::CachePadded;

use super::barrier;
use crate::sync::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// A participant's word when it is not pinned.
const INACTIVE: usize = 0;
/// Set in a participant's word while it is pinned; the rest of the word is its epoch.
const PINNED: usize = 1;
/// Epochs advance by two so that bit 0 of a participant's word is free for `PINNED`.
const STEP: usize = 2;
/// Set in `Participant::nested` once the record's owner has gone.
const DETACHED: usize = 1 << (usize::BITS - 1);
/// The count of nested guards in `Participant::nested`.
const COUNT: usize = !DETACHED;
/// Garbage retired at epoch `t` is freed once the global epoch reaches `t + GRACE` (counted
/// in epochs). Crossbeam-epoch's two is not enough without a fence on the pin side; see the
/// module notes in `reclaim/mod.rs`.
const GRACE: usize = 3;

/// Whether garbage retired at `retired` may be freed when the global epoch is `global`.
///
/// Signed, wrapping difference: a `global` older than `retired` is never "long past".
pub(super) fn expired(global: usize, retired: usize) -> bool {
    // Epochs are far closer than `isize::MAX` steps apart, so the cast is the signed distance.
    global.wrapping_sub(retired) as isize >= (GRACE * STEP) as isize
}

/// The barrier before a scan could not be made: nothing may be freed on this scan.
#[derive(Debug)]
pub(super) struct BarrierFailed;

/// One thread's record (or one guard's, for a pin that cannot use its thread-local).
pub(crate) struct Participant {
    /// `INACTIVE`, or the epoch the owner pinned at with `PINNED` set. Written only by the
    /// owner; read by scans.
    epoch: AtomicUsize,
    /// Whether some thread owns the record; `false` records are taken by compare-exchange.
    in_use: AtomicBool,
    /// Guards alive on the record beyond the one whose drop unpins it (only nested pins and
    /// their drops change the count, so the outermost pin and unpin store nothing here),
    /// plus `DETACHED` once the record's owner has gone (thread exit while a guard was
    /// alive, or a record taken for one guard only): the unpinning guard then releases the
    /// record. Touched only by the owner (ownership passes through `in_use`'s release and
    /// acquire), so a relaxed std atomic costs what a plain access does.
    nested: std::sync::atomic::AtomicUsize,
    /// The next record of the domain's list; set before the record is published and never
    /// changed after.
    next: std::sync::atomic::AtomicPtr<CachePadded<Participant>>,
}

impl Participant {
    /// Whether the record is pinned (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_pinned(&self) -> bool {
        self.epoch.load(Ordering::Relaxed) & PINNED != 0
    }
}

/// The global epoch and the participants of one reclamation domain.
pub(crate) struct Domain {
    /// The global epoch, a multiple of `STEP`.
    epoch: CachePadded<AtomicUsize>,
    /// Head of the append-only (push-front) list of records; records are never removed
    /// while the domain lives, only released for reuse.
    participants: CachePadded<AtomicPtr<CachePadded<Participant>>>,
}

impl Domain {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            epoch: CachePadded::new(AtomicUsize::new(0)),
            participants: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            epoch: CachePadded::new(AtomicUsize::new(0)),
            participants: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// Takes a record for the calling thread: a released one if there is one, else a new
    /// one pushed onto the list. Lock-free.
    fn acquire(&self) -> &Participant {
        let mut node = self.participants.load(Ordering::Acquire);
        // SAFETY: records are only freed when the domain is dropped, which cannot happen
        // while `self` is borrowed; every non-null pointer in the list is a live record.
        while let Some(record) = unsafe { node.as_ref() } {
            if !record.in_use.load(Ordering::Relaxed)
                && record
                    .in_use
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return record;
            }
            node = record.next.load(Ordering::Relaxed);
        }
        let fresh = Box::into_raw(Box::new(CachePadded::new(Participant {
            epoch: AtomicUsize::new(INACTIVE),
            in_use: AtomicBool::new(true),
            nested: std::sync::atomic::AtomicUsize::new(0),
            next: std::sync::atomic::AtomicPtr::new(ptr::null_mut()),
        })));
        let mut head = self.participants.load(Ordering::Relaxed);
        loop {
            // SAFETY: `fresh` is this thread's own allocation, unpublished until the
            // compare-exchange below succeeds.
            unsafe { &*fresh }.next.store(head, Ordering::Relaxed);
            match self.participants.compare_exchange_weak(
                head,
                fresh,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(current) => head = current,
            }
        }
        // SAFETY: published above, and freed only with the domain, which `self` borrows.
        unsafe { &*fresh }
    }

    /// Registers the calling thread: the handle owns a record until it is dropped.
    pub(crate) fn register(&self) -> Handle<'_> {
        Handle {
            participant: self.acquire(),
            domain: self,
            _not_send: PhantomData,
        }
    }

    /// Pins with a record taken for this guard alone, released when it drops. For a pin
    /// that cannot reach its thread's record (thread-local storage being torn down).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn pin_detached(&self) -> LocalGuard<'_> {
        let record = self.acquire();
        record.nested.store(DETACHED, Ordering::Relaxed);
        // SAFETY: the record was just taken by this thread and is handed to the guard alone.
        unsafe { self.enter(record) }
    }

    /// Pins `record`: the outermost pin publishes the epoch; a nested one only notes that
    /// the record is pinned already, and stores nothing.
    ///
    /// # Safety
    /// The calling thread owns `record` (took it from this domain and has not released it),
    /// and no other thread uses it meanwhile.
    #[inline]
    pub(crate) unsafe fn enter<'d>(&'d self, record: &'d Participant) -> LocalGuard<'d> {
        // Only the owner writes the record's word, so this load is exact.
        if record.epoch.load(Ordering::Relaxed) & PINNED != 0 {
            let nested = record.nested.load(Ordering::Relaxed);
            record.nested.store(nested + 1, Ordering::Relaxed);
        } else {
            let epoch = self.epoch.load(Ordering::Relaxed);
            // Release (a plain store on x86-64, the same instruction as Relaxed): a scan that
            // reads this word then acquires everything this thread did before, in particular
            // its previous pinned section, which it may have ended with an unpin the scan
            // did not see.
            record.epoch.store(epoch | PINNED, Ordering::Release);
            barrier::light();
        }
        LocalGuard {
            participant: record,
            _not_send: PhantomData,
        }
    }

    /// The epoch to retire garbage at, read after a full fence: the caller has just
    /// unlinked the garbage, and the fence orders that unlinking before the read.
    pub(super) fn retire_epoch(&self) -> usize {
        fence(Ordering::SeqCst);
        self.epoch.load(Ordering::Relaxed)
    }

    /// Advances the global epoch by one if every pinned participant is at it. Returns the
    /// global epoch after the attempt, read or written with acquire: garbage expired at that
    /// epoch may be freed. Never waits for another thread.
    pub(super) fn try_advance(&self) -> Result<usize, BarrierFailed> {
        let global = self.epoch.load(Ordering::Acquire);
        if !barrier::heavy() {
            return Err(BarrierFailed);
        }
        let mut node = self.participants.load(Ordering::Acquire);
        // SAFETY: records live as long as the domain, which `self` borrows.
        while let Some(record) = unsafe { node.as_ref() } {
            let word = record.epoch.load(Ordering::Relaxed);
            if word & PINNED != 0 && word & !PINNED != global {
                // A participant pinned at an older epoch: the epoch stays. Garbage already
                // expired at `global` may still be freed; `global` was read with acquire.
                return Ok(global);
            }
            node = record.next.load(Ordering::Relaxed);
        }
        // Pairs with the release stores of unpins and pins the scan read: everything those
        // threads did in earlier pinned sections happens before what follows.
        fence(Ordering::Acquire);
        match self.epoch.compare_exchange(
            global,
            global.wrapping_add(STEP),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Ok(global.wrapping_add(STEP)),
            Err(current) => Ok(current),
        }
    }

    /// The global epoch (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn epoch(&self) -> usize {
        self.epoch.load(Ordering::Acquire)
    }

    /// How many records the list holds (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn records(&self) -> usize {
        let mut count = 0;
        let mut node = self.participants.load(Ordering::Acquire);
        // SAFETY: records live as long as the domain.
        while let Some(record) = unsafe { node.as_ref() } {
            count += 1;
            node = record.next.load(Ordering::Relaxed);
        }
        count
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        // No handle or guard borrows the domain any more (they hold `&Domain` or records'
        // references of its lifetime), so no thread can reach a record.
        let mut node = self.participants.load(Ordering::Relaxed);
        while !node.is_null() {
            // SAFETY: every record was allocated by `acquire` with `Box::into_raw` and is
            // freed exactly once, here.
            let record = unsafe { Box::from_raw(node) };
            node = record.next.load(Ordering::Relaxed);
        }
    }
}

/// Releases `record` for reuse. The owner calls it once, unpinned.
fn release(record: &Participant) {
    record.nested.store(0, Ordering::Relaxed);
    record.in_use.store(false, Ordering::Release);
}

/// A thread's registration with a domain: owns one record until dropped. Not `Send`.
pub(crate) struct Handle<'d> {
    participant: &'d Participant,
    domain: &'d Domain,
    _not_send: PhantomData<*mut ()>,
}

impl<'d> Handle<'d> {
    /// Pins this thread; nested pins store nothing.
    #[inline]
    pub(crate) fn pin(&self) -> LocalGuard<'d> {
        // SAFETY: the handle owns the record, and it is not Send, so this is its owner thread.
        unsafe { self.domain.enter(self.participant) }
    }

    /// The owned record (the static domain's thread-local caches it).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn participant(&self) -> &'d Participant {
        self.participant
    }
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        // Only this thread writes the record's word, so this load is exact.
        if self.participant.epoch.load(Ordering::Relaxed) & PINNED == 0 {
            release(self.participant);
        } else {
            // A guard outlives the registration (a thread-local destructor still holding
            // one): the outermost guard releases the record.
            let nested = self.participant.nested.load(Ordering::Relaxed);
            self.participant
                .nested
                .store(nested | DETACHED, Ordering::Relaxed);
        }
    }
}

/// A pin on one record of a domain; dropping the outermost guard unpins. Not `Send`.
pub(crate) struct LocalGuard<'d> {
    participant: &'d Participant,
    _not_send: PhantomData<*mut ()>,
}

impl LocalGuard<'_> {
    /// Whether this guard's record is pinned (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_pinned(&self) -> bool {
        self.participant.is_pinned()
    }

    /// The record this guard pins (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn participant(&self) -> *const Participant {
        self.participant
    }
}

impl Drop for LocalGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let record = self.participant;
        // Guards on one record are interchangeable: whichever drops last unpins, in any
        // order.
        let nested = record.nested.load(Ordering::Relaxed);
        if nested & COUNT != 0 {
            record.nested.store(nested - 1, Ordering::Relaxed);
            return;
        }
        // Release: everything read under the pin happens before any free that follows a
        // scan seeing this store.
        record.epoch.store(INACTIVE, Ordering::Release);
        if nested & DETACHED != 0 {
            release(record);
        }
    }
}
