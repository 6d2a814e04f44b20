//! Memory reclamation for retired segments: crossbeam-epoch normally.
//!
//! Under loom the models check the queue's own protocol (claims, seals, successor
//! installation, head and tail hand-over), not crossbeam-epoch, whose collector loom cannot
//! drive from the default global handle; there a retired segment is simply leaked.

#[cfg(not(loom))]
pub(crate) use crossbeam_epoch::Guard;

/// Pins the current thread: segments it loads stay allocated until the guard is dropped.
#[cfg(not(loom))]
pub(crate) fn pin() -> Guard {
    crossbeam_epoch::pin()
}

/// Frees `ptr` once every thread pinned now has unpinned.
///
/// # Safety
/// `ptr` came from `Box::into_raw`, is retired exactly once, and no thread that pins after
/// this call can reach it through the queue's shared pointers.
#[cfg(not(loom))]
pub(crate) unsafe fn retire<T>(guard: &Guard, ptr: *mut T) {
    // By this function's contract, only threads pinned before this call may still hold `ptr`.
    // SAFETY: the collector runs the closure after all of them have unpinned, and `ptr` is a
    // unique `Box` allocation retired once.
    unsafe { guard.defer_unchecked(move || drop(Box::from_raw(ptr))) }
}

#[cfg(loom)]
pub(crate) struct Guard;

#[cfg(loom)]
pub(crate) fn pin() -> Guard {
    Guard
}

#[cfg(loom)]
pub(crate) unsafe fn retire<T>(_guard: &Guard, ptr: *mut T) {
    let _ = ptr;
}
