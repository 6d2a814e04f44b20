//! Memory reclamation for retired segments: epoch-based, with no fence on the pinning side.
//!
//! # Why not crossbeam-epoch
//!
//! Every push and every pop pins. Crossbeam-epoch's pin publishes the thread's epoch and
//! then pays a `SeqCst` fence (a locked read-modify-write on x86-64), about 10 ns on this
//! kind of machine, more than the ring operation it protects. The fence is there for the
//! collector's benefit, and the collector runs rarely (a segment is retired only when the
//! queue resizes), so this scheme moves that cost to the collector: the pin side issues an
//! *asymmetric light barrier* (a compiler fence when Linux's
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` is available) and the collector issues the
//! matching *heavy barrier* (the membarrier syscall, which runs a full memory barrier on every
//! CPU currently running one of this process's threads) before it looks at the
//! participants. Where membarrier is missing or registration fails, both barriers are
//! `fence(SeqCst)` and the scheme is crossbeam-epoch's (see `barrier.rs`).
//!
//! A pin is then: a thread-local read (a `const`-initialised `Cell` holding this thread's
//! record), a relaxed load of the global epoch, a store of `epoch | PINNED` to the record
//! (Release, the same plain store as Relaxed on x86-64) and the light barrier. A nested pin
//! only counts; the outermost unpin stores `INACTIVE`.
//!
//! # The algorithm
//!
//! Crossbeam-epoch's. One global epoch `E`. A participant record per thread holds `INACTIVE`
//! or `e | PINNED`, where `e` is the global epoch it read when it pinned. A collector
//! advances `E` from `e` to `e + 1` (a compare-exchange) only if every pinned participant
//! is at `e`. Garbage is retired with the epoch read just after it was unlinked, behind a
//! full fence, into a per-queue [`Limbo`]; garbage retired at `t` is freed once `E` reaches
//! `t + 3`. An advance is: load `E`, heavy barrier, scan the records, acquire fence,
//! compare-exchange.
//!
//! The grace period is one epoch longer than crossbeam-epoch's `t + 2`. There the pin's own
//! `SeqCst` fence pairs with the retiring thread's fence, which rules out a reader that
//! pinned at `t + 1` yet still read the unlinked pointer. A compiler fence pairs with
//! nothing but heavy barriers, so that case is instead ruled out by one more advance, whose
//! heavy barrier must see the reader pinned (step 5 below). The cost is one more advance
//! before a segment's memory returns; the fast path pays nothing for it.
//!
//! # Why it is safe
//!
//! Model of the barriers: while a heavy barrier `H` runs, every thread `R` of the process
//! passes a full fence `Y` at some point of its program order (the IPI, or the context
//! switch of a thread not running), ordered after whatever preceded `H` in the collector
//! and before whatever follows `H`. The light barrier keeps the compiler from moving the
//! pin's store past the pinned section's loads, so `Y` falls either before the pin's store
//! `W` or after it. (In the symmetric mode, `Y` is the light barrier itself: a `SeqCst`
//! fence just after `W`.)
//!
//! Let thread `X` unlink `G` (the engine swaps `head` past it), fence, read `t` from `E` and
//! retire `(G, t)`. `G` is freed by a collector that read (acquire) `E >= t + 3`, so three
//! advances happened: `A1: t -> t+1`, `A2: t+1 -> t+2`, `A3: t+2 -> t+3`, each by some
//! collector `Ci` (load `E`, heavy barrier `Hi`, scan, compare-exchange). Let reader `R` pin
//! (read `e` from `E`, store `W = e | PINNED`, light barrier), load the shared pointer and get
//! `G`. Claim: everything `R` does with `G` happens before `G` is freed.
//!
//! 1. The unlinking precedes `H2`: `X` fenced after unlinking and before reading `t`; `A1`
//!    overwrote the `t` that `X` read; `C2` read `t + 1` before `H2`. So any thread that
//!    passes a full fence inside `H2` and then loads the pointer sees it unlinked.
//! 2. Hence `H2`'s fence `Y2` in `R` comes after `W`: had it come before, `R`'s load of the
//!    pointer would follow it and not return `G`. (This also rules out `e >= t + 2`: `R`
//!    would have read `E` after `A2`, which follows `H2`, so `Y2` would precede `W`.)
//! 3. `Y2` after `W` means `C2`'s scan (after `H2`) reads `W` or a later value of `R`'s word.
//!    A later value is `R`'s unpin, or a later pin: both release stores, which the scan's
//!    acquire fence turns into happens-before. Then `R`'s pinned section happens before
//!    `A2`, and before the free (each advance and the freeing collector's acquire load of
//!    `E` continue the chain). Done.
//! 4. Otherwise the scan read `W` itself and let `A2` through, so `e = t + 1`.
//! 5. `H3` runs after `A2`, so its fence `Y3` in `R` comes after `Y2`, hence after `W`: the
//!    scan of any collector attempting `A3` reads `W` or later. `W = (t + 1) | PINNED` would
//!    stop `A3`; so the scan of the `A3` that happened read a later value: as in step 3, `R`'s
//!    pinned section happens before `A3` and before the free.
//!
//! Records registered after a scan read the list head are not scanned; their thread's
//! registration (a compare-exchange on the head, after the scan's read) comes after `H`, so
//! `Y` precedes that thread's pin: step 2's first case, its loads see the unlinking.
//!
//! A collector is itself pinned (it holds a guard) at some `e_c`, so while it runs `E`
//! cannot pass `e_c + 1`: a second advance attempt in one `collect` call could never
//! succeed, and `collect` makes one. Freeing `G` therefore takes three collections made
//! under fresh pins, by any threads, after the retirement.
//!
//! If a heavy barrier fails (a seccomp filter forbidding membarrier after registration),
//! that collection frees nothing and the epoch does not move: memory is leaked rather than
//! risked.
//!
//! # What a stalled thread costs
//!
//! A thread that stays pinned (descheduled inside a push, or holding a guard) at `e` keeps
//! `E` at most `e + 1`, so nothing retired from then on is freed until it unpins: the limbo
//! grows by the segments retired meanwhile. Nobody waits for it: pushes and pops never look
//! at other threads, and `collect` makes one scan and returns. A stalled thread costs
//! memory, never progress.
//!
//! # Under loom
//!
//! The engine's models (`lock_free/loom_tests.rs`) check the queue's own protocol: there
//! [`pin`] returns a no-op guard and [`Limbo`] leaks what is retired. This scheme is
//! checked by its own models (`loom_tests.rs` here), which build a [`epoch::Domain`] per
//! execution and register their threads explicitly; both barriers are then loom's
//! `fence(SeqCst)`.

mod barrier;
mod epoch;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

use std::marker::PhantomData;
use std::ptr;

use self::epoch::Domain;
use crate::sync::{AtomicPtr, Ordering};

#[cfg(not(loom))]
pub(crate) use self::imp::{pin, Guard, Limbo};
#[cfg(loom)]
pub(crate) use self::leak::{pin, Guard, Limbo};

/// One retired pointer and the epoch it was retired at.
struct Node<S> {
    ptr: *mut S,
    epoch: usize,
    next: *mut Node<S>,
}

/// A lock-free list of retired pointers: a Treiber stack that is only ever taken whole, so
/// it has no ABA problem. The domain and the way to free are the caller's.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct Bin<S> {
    head: AtomicPtr<Node<S>>,
    _owns: PhantomData<*mut S>,
}

// SAFETY: a bin never hands out `&S`; it passes each retired pointer to one `free` call, on
// whichever thread collects or drains, so moving or sharing the bin moves `S` values:
// `S: Send` is what that needs. All shared access is through the atomic head.
unsafe impl<S: Send> Send for Bin<S> {}
// SAFETY: `&Bin` only pushes to and swaps the atomic head, moving `S` values: `S: Send`.
unsafe impl<S: Send> Sync for Bin<S> {}

#[cfg_attr(loom, allow(dead_code))]
impl<S> Bin<S> {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// Whether nothing is waiting to be freed.
    pub(crate) fn is_empty(&self) -> bool {
        self.head.load(Ordering::Relaxed).is_null()
    }

    /// Records `ptr` as retired now.
    ///
    /// # Safety
    /// The caller is pinned in `domain`, has unlinked `ptr` so that no thread pinning after
    /// this call can reach it, retires it once, and every later `collect` or `drain` of this
    /// bin passes a `free` that may release it.
    pub(crate) unsafe fn retire(&self, domain: &Domain, ptr: *mut S) {
        let epoch = domain.retire_epoch();
        let node = Box::into_raw(Box::new(Node {
            ptr,
            epoch,
            next: ptr::null_mut(),
        }));
        // SAFETY: `node` is this thread's own allocation, a one-node chain.
        unsafe { self.push_chain(node, node) };
    }

    /// Pushes the chain `first ..= last` (linked through `next`) onto the stack.
    ///
    /// # Safety
    /// The chain's nodes are owned by the caller (not reachable from the stack) and `last`
    /// is reachable from `first`.
    unsafe fn push_chain(&self, first: *mut Node<S>, last: *mut Node<S>) {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: `last` is owned by this thread until the compare-exchange publishes it.
            unsafe { (*last).next = head };
            match self
                .head
                .compare_exchange_weak(head, first, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }

    /// Tries to advance `domain`'s epoch once and passes every entry whose grace period has
    /// passed to `free`, pushing the rest back. The caller is pinned in `domain`. Lock-free;
    /// one relaxed load when the bin is empty; nothing freed if the heavy barrier fails.
    pub(crate) fn collect(&self, domain: &Domain, mut free: impl FnMut(*mut S)) {
        if self.is_empty() {
            return;
        }
        let Ok(global) = domain.try_advance() else {
            return;
        };
        // Acquire: pairs with the release pushes, so the nodes' fields are visible.
        let mut list = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        let mut expired: *mut Node<S> = ptr::null_mut();
        let mut kept_first: *mut Node<S> = ptr::null_mut();
        let mut kept_last: *mut Node<S> = ptr::null_mut();
        while !list.is_null() {
            let node = list;
            // SAFETY: the swap took the whole chain: this thread owns every node on it.
            unsafe {
                list = (*node).next;
                if epoch::expired(global, (*node).epoch) {
                    (*node).next = expired;
                    expired = node;
                } else {
                    (*node).next = kept_first;
                    if kept_last.is_null() {
                        kept_last = node;
                    }
                    kept_first = node;
                }
            }
        }
        if !kept_first.is_null() {
            // SAFETY: the kept chain is owned by this thread, `kept_last` its end.
            unsafe { self.push_chain(kept_first, kept_last) };
        }
        // Freed after the survivors are back, so a `free` that panics or re-enters this bin
        // finds it consistent (a panic leaks the rest of the expired chain).
        while !expired.is_null() {
            // SAFETY: the expired chain is owned by this thread; each node was allocated by
            // `retire` with `Box::into_raw` and is freed once, here.
            let node = unsafe { Box::from_raw(expired) };
            expired = node.next;
            free(node.ptr);
        }
    }

    /// Passes every entry to `free`, expired or not: for the owner being dropped.
    pub(crate) fn drain(&mut self, mut free: impl FnMut(*mut S)) {
        // A swap rather than `get_mut`, which loom's atomics lack.
        let mut list = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        while !list.is_null() {
            // SAFETY: `&mut self`: no other thread can reach the bin, so this thread owns
            // every node; each was allocated by `retire` and is freed once, here.
            let node = unsafe { Box::from_raw(list) };
            list = node.next;
            free(node.ptr);
        }
    }
}

#[cfg(not(loom))]
mod imp {
    use std::cell::Cell;
    use std::ptr;

    use super::epoch::{Domain, Handle, LocalGuard, Participant};
    use super::Bin;

    /// The engine's domain.
    pub(super) static DOMAIN: Domain = Domain::new();

    thread_local! {
        /// This thread's record in `DOMAIN`: null before its first pin and once its
        /// registration is gone. `const` and without `Drop`, so reading it is a plain
        /// thread-local load, valid even while the thread's destructors run.
        static LOCAL: Cell<*const Participant> = const { Cell::new(ptr::null()) };
        /// Owns this thread's record; touched only at registration (and thread exit).
        static REGISTRATION: Registration = Registration::new();
    }

    /// A thread's registration with `DOMAIN`.
    struct Registration {
        handle: Handle<'static>,
    }

    impl Registration {
        fn new() -> Self {
            let handle = DOMAIN.register();
            let record: *const Participant = handle.participant();
            // Cannot fail (LOCAL has no destructor); if it did, pins would go on through
            // `REGISTRATION` at slow-path cost.
            let _ = LOCAL.try_with(|local| local.set(record));
            Self { handle }
        }
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            // Pins from here on (other thread-locals' destructors) take a record per guard.
            let _ = LOCAL.try_with(|local| local.set(ptr::null()));
            // Then the handle drops: it releases the record, or leaves that to the last
            // guard still alive.
        }
    }

    /// A pinned thread: pointers loaded from the queue's shared pointers stay allocated until
    /// it is dropped. Nested guards are fine; the outermost drop unpins. Not `Send`.
    pub(crate) struct Guard {
        // Kept for its Drop, which unpins.
        _inner: LocalGuard<'static>,
    }

    impl Guard {
        /// The record pinned (for tests).
        #[cfg(test)]
        pub(crate) fn local(&self) -> &LocalGuard<'static> {
            &self._inner
        }
    }

    /// Pins the current thread.
    #[inline]
    pub(crate) fn pin() -> Guard {
        let record = LOCAL.try_with(Cell::get).unwrap_or(ptr::null());
        // SAFETY: 1. a non-null LOCAL is this thread's record, owned by its live registration
        // (the registration nulls LOCAL before giving the record up). 2. Records of the
        // static domain are never freed.
        match unsafe { record.as_ref() } {
            Some(record) => Guard {
                // SAFETY: the record is LOCAL's, owned by this thread's live registration.
                _inner: unsafe { DOMAIN.enter(record) },
            },
            None => pin_slow(),
        }
    }

    /// First pin of a thread, or a pin while its thread-locals are being destroyed.
    #[cold]
    #[inline(never)]
    fn pin_slow() -> Guard {
        let inner = match REGISTRATION.try_with(|registration| registration.handle.pin()) {
            Ok(guard) => guard,
            // The registration is gone (or going): a record for this guard alone.
            Err(_) => DOMAIN.pin_detached(),
        };
        Guard { _inner: inner }
    }

    /// A queue's retired segments: freed once no thread pinned when they were retired is
    /// still pinned. `Send + Sync` when `S: Send` (through `Bin`'s).
    pub(crate) struct Limbo<S> {
        bin: Bin<S>,
    }

    impl<S> Limbo<S> {
        pub(crate) const fn new() -> Self {
            Self { bin: Bin::new() }
        }

        /// Frees `ptr` once every thread pinned now has unpinned.
        ///
        /// # Safety
        /// `ptr` came from `Box::into_raw`, is retired once, and no thread that pins after
        /// this call can reach it through shared pointers.
        pub(crate) unsafe fn retire(&self, guard: &Guard, ptr: *mut S) {
            let _ = guard;
            // SAFETY: the caller is pinned in DOMAIN (it holds `guard`), the rest is this
            // function's contract; `collect` and `Drop` free with `Box::from_raw`.
            unsafe { self.bin.retire(&DOMAIN, ptr) }
        }

        /// Tries to advance the global epoch and frees what has been retired long enough.
        /// Lock-free; one relaxed load when the limbo is empty.
        pub(crate) fn collect(&self, guard: &Guard) {
            let _ = guard;
            self.bin.collect(&DOMAIN, |ptr| {
                // SAFETY: `ptr` came from `Box::into_raw` (retire's contract), is passed to
                // `free` once, and its grace period has passed: no pinned thread can reach it.
                drop(unsafe { Box::from_raw(ptr) })
            });
        }

        /// Whether nothing is waiting to be freed.
        pub(crate) fn is_empty(&self) -> bool {
            self.bin.is_empty()
        }
    }

    impl<S> Drop for Limbo<S> {
        fn drop(&mut self) {
            // The owning queue is being dropped: no thread can be inside it any more.
            self.bin.drain(|ptr| {
                // SAFETY: `ptr` came from `Box::into_raw` and is passed here once; nobody
                // can reach it (the queue is gone).
                drop(unsafe { Box::from_raw(ptr) })
            });
        }
    }
}

/// Under loom: a no-op guard and a limbo that leaks (the engine's models test the queue's
/// protocol; this scheme is modelled on its own in `loom_tests.rs`).
#[cfg(loom)]
mod leak {
    use std::marker::PhantomData;

    pub(crate) struct Guard {
        _not_send: PhantomData<*mut ()>,
    }

    pub(crate) fn pin() -> Guard {
        Guard {
            _not_send: PhantomData,
        }
    }

    pub(crate) struct Limbo<S> {
        _owns: PhantomData<*mut S>,
    }

    // SAFETY: holds nothing.
    unsafe impl<S: Send> Send for Limbo<S> {}
    // SAFETY: holds nothing.
    unsafe impl<S: Send> Sync for Limbo<S> {}

    impl<S> Limbo<S> {
        pub(crate) fn new() -> Self {
            Self { _owns: PhantomData }
        }

        /// Leaks `ptr`.
        ///
        /// # Safety
        /// As in the normal build (nothing is freed here).
        pub(crate) unsafe fn retire(&self, _guard: &Guard, ptr: *mut S) {
            let _ = ptr;
        }

        pub(crate) fn collect(&self, _guard: &Guard) {}

        pub(crate) fn is_empty(&self) -> bool {
            true
        }
    }
}
