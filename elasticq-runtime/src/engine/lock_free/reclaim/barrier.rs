//! The asymmetric barrier pair: `light()` on every pin, `heavy()` before every scan.
//!
//! Together they act as a pair of `fence(SeqCst)`: for every light barrier `L` of a thread
//! `R` and every heavy barrier `H`, either everything `R` did before `L` is visible to what
//! follows `H`, or everything that preceded `H` is visible to what `R` does after `L`.
//!
//! - Asymmetric mode (Linux with `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`): `light()`
//!   is a compiler fence, free at run time; `heavy()` is the syscall, which makes every thread
//!   of this process that is running on some CPU execute a full memory barrier (by an IPI)
//!   before it returns. A thread that is not running passed a full barrier when it was
//!   switched out and passes another when it is switched in. Either way each thread goes
//!   through a full barrier at some point of its program order while `heavy()` runs, and the
//!   compiler fence keeps the pin's store and the reads that follow it in program order
//!   around whatever point that is.
//! - Symmetric mode (anywhere else, or when registration fails, e.g. under seccomp): both are
//!   `fence(SeqCst)`.
//!
//! The mode is decided once, on first use, before any pin relies on it, and once asymmetric
//! it never changes: pins that already rely on the heavy barrier would otherwise be left
//! without one. A heavy barrier that fails at run time (which the kernel does not do once
//! registration succeeded, but a seccomp filter could) returns `false`, and the collector
//! then frees nothing.
//!
//! Under loom both barriers are loom's `fence(SeqCst)`, which loom models exactly.

use crate::sync::{fence, Ordering};

/// The barrier pair in use.
#[cfg(not(loom))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Light is a compiler fence, heavy is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`.
    Asymmetric,
    /// Both are `fence(SeqCst)`.
    Symmetric,
}

#[cfg(not(loom))]
mod state {
    use std::sync::atomic::{AtomicU8, Ordering};

    use super::{membarrier, Mode};

    const UNKNOWN: u8 = 0;
    const ASYMMETRIC: u8 = 1;
    const SYMMETRIC: u8 = 2;

    /// UNKNOWN until the first barrier; then ASYMMETRIC or SYMMETRIC for good.
    static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

    /// The mode, deciding it on first use.
    #[inline]
    pub(super) fn mode() -> Mode {
        // Relaxed is enough: the value goes from UNKNOWN to its final value once and never
        // changes again, so a thread reads UNKNOWN (and decides, arriving at the same final
        // value through the compare-exchange) or the final value.
        match STATE.load(Ordering::Relaxed) {
            ASYMMETRIC => Mode::Asymmetric,
            SYMMETRIC => Mode::Symmetric,
            _ => decide(),
        }
    }

    #[cold]
    #[inline(never)]
    fn decide() -> Mode {
        // Registration is process-wide and idempotent, so racing first users may both
        // register; one compare-exchange wins and everyone adopts its answer. If the winner
        // says ASYMMETRIC, its registration succeeded, so the heavy barrier is available to
        // all threads; if it says SYMMETRIC, nobody relies on the heavy barrier.
        let chosen = if membarrier::register() {
            ASYMMETRIC
        } else {
            SYMMETRIC
        };
        let state =
            match STATE.compare_exchange(UNKNOWN, chosen, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => chosen,
                Err(current) => current,
            };
        if state == ASYMMETRIC {
            Mode::Asymmetric
        } else {
            Mode::Symmetric
        }
    }
}

/// The mode in use (decided on first call).
#[cfg(not(loom))]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn mode() -> Mode {
    state::mode()
}

/// The pin side's barrier: orders the participant's epoch store before the loads that follow
/// it, as seen from any heavy barrier.
#[cfg(not(loom))]
#[inline]
pub(crate) fn light() {
    match state::mode() {
        Mode::Asymmetric => std::sync::atomic::compiler_fence(Ordering::SeqCst),
        Mode::Symmetric => fence(Ordering::SeqCst),
    }
}

/// The collector's barrier, taken before it scans the participants. `false` if the
/// barrier could not be made (the caller must then treat the scan as meaningless).
#[cfg(not(loom))]
pub(crate) fn heavy() -> bool {
    match state::mode() {
        Mode::Asymmetric => {
            // The kernel documents full barriers at the syscall's entry and exit in the
            // caller; the explicit fences make that part of the program's own ordering.
            fence(Ordering::SeqCst);
            let done = membarrier::private_expedited();
            fence(Ordering::SeqCst);
            done
        }
        Mode::Symmetric => {
            fence(Ordering::SeqCst);
            true
        }
    }
}

#[cfg(loom)]
pub(crate) fn light() {
    fence(Ordering::SeqCst);
}

#[cfg(loom)]
pub(crate) fn heavy() -> bool {
    fence(Ordering::SeqCst);
    true
}

#[cfg(all(not(loom), target_os = "linux", not(miri)))]
mod membarrier {
    use libc::{c_int, c_long, c_uint};

    /// `MEMBARRIER_CMD_QUERY` in `<linux/membarrier.h>`: 0, returns the supported commands.
    const CMD_QUERY: c_int = 0;
    /// `MEMBARRIER_CMD_PRIVATE_EXPEDITED` in `<linux/membarrier.h>`: `1 << 3` (8), Linux 4.14+.
    const CMD_PRIVATE_EXPEDITED: c_int = 1 << 3;
    /// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED` in `<linux/membarrier.h>`: `1 << 4` (16).
    const CMD_REGISTER_PRIVATE_EXPEDITED: c_int = 1 << 4;

    fn membarrier(cmd: c_int) -> c_long {
        let flags: c_uint = 0;
        let cpu_id: c_int = 0;
        // SAFETY: membarrier(2) takes three integers by value (`cmd`, `flags`, `cpu_id`, the
        // last ignored without MEMBARRIER_CMD_FLAG_CPU) and reads or writes no memory of this
        // process; any failure is reported through the return value (-1 and errno), which
        // the callers check. Passing `c_int`/`c_uint` through the variadic `syscall` matches
        // the kernel's `int`/`unsigned int` parameters.
        unsafe { libc::syscall(libc::SYS_membarrier, cmd, flags, cpu_id) }
    }

    /// Registers this process for private expedited barriers; `false` when the kernel lacks
    /// them or refuses (seccomp, old kernel).
    pub(super) fn register() -> bool {
        let supported = membarrier(CMD_QUERY);
        if supported < 0 || supported & c_long::from(CMD_PRIVATE_EXPEDITED) == 0 {
            return false;
        }
        membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0
    }

    /// Every running thread of the process executes a full memory barrier before this
    /// returns `true`.
    pub(super) fn private_expedited() -> bool {
        membarrier(CMD_PRIVATE_EXPEDITED) == 0
    }
}

#[cfg(all(not(loom), not(all(target_os = "linux", not(miri)))))]
mod membarrier {
    /// No process-wide barrier here: the symmetric mode is used.
    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn private_expedited() -> bool {
        false
    }
}
