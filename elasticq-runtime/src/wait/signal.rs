//! Waking tasks that wait on a queue, with no polling and no lost wake-up.
//!
//! A [`Signal`] is one side of a queue's waiting: tasks waiting for a message, or tasks
//! waiting for room. A waiting task registers its waker (a SeqCst increment of `waiting`,
//! then a SeqCst fence), then looks at the queue again before it returns `Pending`; the
//! other side changes the queue and then loads `waiting` (SeqCst). The notifier pays no
//! fence: on x86 its look is a plain load. What pairs with it is the queue change itself,
//! which every engine makes in one of two ways:
//! - **a SeqCst read-modify-write** of the word the second look reads with a SeqCst load
//!   (the lock-free engine's ring tail and head): in the single total order of SeqCst
//!   operations, either the second look comes after the change (and sees it), or the
//!   notifier's load comes after the registration (and wakes the task);
//! - **under a lock** that the second look takes too (the locked and map engines, with the
//!   published-length shortcut turned off by `wait::strictly`): either the look's lock
//!   follows the change's unlock, or the registration happens before the notifier's load.
//!
//! The mutex is taken only when a task waits.

#[cfg(feature = "tokio")]
use std::sync::Arc;
use std::task::{Context, Waker};

use crate::sync::{fence, AtomicUsize, Lock, Ordering};

/// Tasks waiting for one kind of change to a queue.
///
/// ```
/// use elasticq_runtime::__private::Signal;
/// let signal = Signal::new();
/// signal.notify_one(); // nobody waits: one load
/// assert_eq!(signal.waiting(), 0);
/// ```
pub struct Signal {
    /// Registrations in the `Waiting` state. Written under `slots`' lock; read without it.
    waiting: AtomicUsize,
    slots: Lock<Slots>,
}

#[derive(Default)]
struct Slots {
    entries: Vec<Slot>,
    vacant: Vec<usize>,
}

enum Slot {
    Vacant,
    Waiting(Waker),
    /// Woken by a notify the task has not yet acted on.
    Notified,
}

impl Default for Signal {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("waiting", &self.waiting())
            .finish()
    }
}

impl Signal {
    /// A signal nobody waits on.
    ///
    /// ```
    /// let signal = elasticq_runtime::__private::Signal::new();
    /// assert_eq!(signal.waiting(), 0);
    /// ```
    pub fn new() -> Self {
        Self {
            waiting: AtomicUsize::new(0),
            slots: Lock::new(Slots::default()),
        }
    }

    /// How many tasks are registered and not yet woken.
    ///
    /// ```
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// assert_eq!(signal.waiting(), 0);
    /// ```
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Wakes one waiting task, if any. Call after the change it waits for is made.
    ///
    /// ```
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// signal.notify_one();
    /// ```
    #[inline]
    pub fn notify_one(&self) {
        // Pairs with the registration in `Waiter::arm`; see the module comment.
        // loom models SeqCst accesses as AcqRel (a documented limitation), which would
        // report this fence-free pairing as a lost wake-up; in models a fence stands in for
        // the single total order that the language gives SeqCst operations.
        #[cfg(loom)]
        fence(Ordering::SeqCst);
        if self.waiting.load(Ordering::SeqCst) != 0 {
            self.wake(1);
        }
    }

    /// Wakes up to `n` waiting tasks.
    ///
    /// ```
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// signal.notify_many(3);
    /// ```
    #[inline]
    pub fn notify_many(&self, n: usize) {
        // loom models SeqCst accesses as AcqRel (a documented limitation), which would
        // report this fence-free pairing as a lost wake-up; in models a fence stands in for
        // the single total order that the language gives SeqCst operations.
        #[cfg(loom)]
        fence(Ordering::SeqCst);
        if n != 0 && self.waiting.load(Ordering::SeqCst) != 0 {
            self.wake(n);
        }
    }

    /// Wakes every waiting task.
    ///
    /// ```
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// signal.notify_all();
    /// ```
    #[inline]
    pub fn notify_all(&self) {
        self.notify_many(usize::MAX);
    }

    #[cold]
    fn wake(&self, n: usize) {
        let mut woken = Vec::new();
        {
            let mut slots = self.slots.lock();
            for slot in slots.entries.iter_mut() {
                if woken.len() == n {
                    break;
                }
                if let Slot::Waiting(_) = slot {
                    if let Slot::Waiting(waker) = std::mem::replace(slot, Slot::Notified) {
                        woken.push(waker);
                    }
                }
            }
            self.waiting.fetch_sub(woken.len(), Ordering::Relaxed);
        }
        // Outside the lock: a waker may run the task at once, on this thread.
        woken.into_iter().for_each(Waker::wake);
    }
}

/// One task's registration with a [`Signal`]. Dropping it while it holds a notification the
/// task never acted on passes that notification to another waiting task, so a cancelled
/// waiter cannot strand a message. So does [`disarm`](Self::disarm) when the notification may
/// have arrived after the look that satisfied the task.
///
/// ```
/// use std::task::{Context, Waker};
/// use elasticq_runtime::__private::{Signal, Waiter};
///
/// let signal = Signal::new();
/// let mut waiter = Waiter::new(&signal);
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(waiter.arm(&mut cx)); // newly registered: look at the queue again
/// assert!(!waiter.arm(&mut cx)); // still waiting
/// signal.notify_one();
/// assert!(waiter.arm(&mut cx)); // woken, registered again
/// ```
pub struct Waiter<'a> {
    signal: SignalRef<'a>,
    key: Option<usize>,
    /// The last `arm` made a new registration, and the task has not returned `Pending` on it
    /// since: the caller is in its second look. A notification that registration holds
    /// landed after `arm`, perhaps after that look, so the task may not have acted on it.
    rechecking: bool,
}

impl std::fmt::Debug for Waiter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("registered", &self.key.is_some())
            .finish()
    }
}

/// What owns the signal of a [`Waiter`] made with [`Waiter::shared`]: a queue behind an `Arc`,
/// and which of its signals the waiter waits on.
#[cfg(feature = "tokio")]
pub(crate) trait SignalSource: Send + Sync {
    /// The signal waited on.
    fn signal(&self) -> &Signal;
}

/// The signal a waiter waits on: borrowed, or reached through a shared owner (a waiter of an
/// owned sink or stream, which may outlive every borrow).
enum SignalRef<'a> {
    Borrowed(&'a Signal),
    #[cfg(feature = "tokio")]
    Shared(Arc<dyn SignalSource + 'a>),
}

impl SignalRef<'_> {
    #[inline]
    fn get(&self) -> &Signal {
        match self {
            SignalRef::Borrowed(signal) => signal,
            #[cfg(feature = "tokio")]
            SignalRef::Shared(source) => source.signal(),
        }
    }
}

impl<'a> Waiter<'a> {
    /// A waiter on `signal`, not yet registered.
    ///
    /// ```
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// let waiter = elasticq_runtime::__private::Waiter::new(&signal);
    /// # drop(waiter);
    /// ```
    pub fn new(signal: &'a Signal) -> Self {
        Self {
            signal: SignalRef::Borrowed(signal),
            key: None,
            rechecking: false,
        }
    }

    /// A waiter on the signal `source` holds, keeping `source` alive.
    #[cfg(feature = "tokio")]
    pub(crate) fn shared(source: Arc<dyn SignalSource + 'a>) -> Self {
        Self {
            signal: SignalRef::Shared(source),
            key: None,
            rechecking: false,
        }
    }

    /// Registers the task's waker, or refreshes it. Returns `true` when the task was not
    /// waiting before this call (first registration, or woken since): the caller must then
    /// look at the queue again before it returns `Pending`. A `SeqCst` fence follows the
    /// registration, for that second look.
    ///
    /// ```
    /// # use std::task::{Context, Waker};
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// # let mut waiter = elasticq_runtime::__private::Waiter::new(&signal);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(waiter.arm(&mut cx));
    /// ```
    pub fn arm(&mut self, cx: &mut Context<'_>) -> bool {
        let signal = self.signal.get();
        let armed = {
            let mut slots = signal.slots.lock();
            match self.key {
                Some(key) => match &mut slots.entries[key] {
                    Slot::Waiting(waker) => {
                        if !waker.will_wake(cx.waker()) {
                            waker.clone_from(cx.waker());
                        }
                        false
                    }
                    slot => {
                        *slot = Slot::Waiting(cx.waker().clone());
                        signal.waiting.fetch_add(1, Ordering::SeqCst);
                        true
                    }
                },
                None => {
                    let slot = Slot::Waiting(cx.waker().clone());
                    let key = match slots.vacant.pop() {
                        Some(key) => {
                            slots.entries[key] = slot;
                            key
                        }
                        None => {
                            slots.entries.push(slot);
                            slots.entries.len() - 1
                        }
                    };
                    signal.waiting.fetch_add(1, Ordering::SeqCst);
                    self.key = Some(key);
                    true
                }
            }
        };
        self.rechecking = armed;
        // Orders the registration before the second look even where that look is not itself
        // SeqCst; see the module comment.
        fence(Ordering::SeqCst);
        armed
    }

    /// Ends the registration after the task got what it waited for. A notification it holds
    /// is kept as used if the task was woken by it and looked afterwards. It is passed on if
    /// the look that succeeded was the second look after an `arm` that returned `true`: the
    /// registration was live during that look, so the notification may have landed after it
    /// and announce a message the task did not take (the one it took was pushed before it
    /// registered, and that push's notify found nobody). Kept, it would leave another waiter
    /// asleep with that message queued. An extra wake-up costs one look; a lost one strands
    /// a message.
    ///
    /// ```
    /// # let signal = elasticq_runtime::__private::Signal::new();
    /// # let mut waiter = elasticq_runtime::__private::Waiter::new(&signal);
    /// waiter.disarm();
    /// ```
    pub fn disarm(&mut self) {
        self.release(self.rechecking);
    }

    /// Ends the registration without having got what the task waited for (it gave up, as
    /// a timed-out pop does): a notification it holds is passed on, as on drop.
    #[cfg(feature = "tokio")]
    pub(crate) fn cancel(&mut self) {
        self.release(true);
    }

    fn release(&mut self, pass_on: bool) {
        self.rechecking = false;
        let Some(key) = self.key.take() else {
            return;
        };
        let signal = self.signal.get();
        let notified = {
            let mut slots = signal.slots.lock();
            let slot = std::mem::replace(&mut slots.entries[key], Slot::Vacant);
            slots.vacant.push(key);
            match slot {
                Slot::Waiting(_) => {
                    signal.waiting.fetch_sub(1, Ordering::Relaxed);
                    false
                }
                Slot::Notified => true,
                Slot::Vacant => false,
            }
        };
        if notified && pass_on {
            signal.notify_one();
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.release(true);
    }
}

#[cfg(all(test, loom))]
mod loom_tests;

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    /// A waker that counts its wake-ups.
    fn counting() -> (std::sync::Arc<std::sync::atomic::AtomicUsize>, Waker) {
        struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);
        impl std::task::Wake for Counting {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let waker = Waker::from(std::sync::Arc::new(Counting(std::sync::Arc::clone(&count))));
        (count, waker)
    }

    #[test]
    fn a_notification_wakes_one_waiter_at_a_time() {
        let signal = Signal::new();
        let (mut a, mut b) = (Waiter::new(&signal), Waiter::new(&signal));
        assert!(a.arm(&mut cx()));
        assert!(b.arm(&mut cx()));
        assert_eq!(signal.waiting(), 2);
        signal.notify_one();
        assert_eq!(signal.waiting(), 1);
        signal.notify_one();
        assert_eq!(signal.waiting(), 0);
        // Both were woken: each re-arms as a new registration.
        assert!(a.arm(&mut cx()));
        assert!(b.arm(&mut cx()));
    }

    #[test]
    fn a_dropped_waiter_passes_its_notification_on() {
        let signal = Signal::new();
        let mut a = Waiter::new(&signal);
        let mut b = Waiter::new(&signal);
        a.arm(&mut cx());
        b.arm(&mut cx());
        signal.notify_one(); // goes to `a`, the first registered
        assert_eq!(signal.waiting(), 1);
        drop(a);
        assert_eq!(signal.waiting(), 0, "b received a's notification");
        assert!(b.arm(&mut cx()));
    }

    #[test]
    fn a_disarmed_waiter_keeps_its_notification() {
        let signal = Signal::new();
        let mut a = Waiter::new(&signal);
        let mut b = Waiter::new(&signal);
        // Both looked again after registering, found nothing and returned `Pending`.
        for waiter in [&mut a, &mut b] {
            assert!(waiter.arm(&mut cx()));
            assert!(!waiter.arm(&mut cx()));
        }
        // `a` is woken, looks and takes the message: the notification was used.
        signal.notify_one();
        a.disarm();
        assert_eq!(signal.waiting(), 1, "b still waits");
        assert!(!b.arm(&mut cx()));
    }

    #[test]
    fn a_waiter_satisfied_by_its_recheck_passes_a_later_notification_on() {
        // `a` looked and found nothing; a push lands before `a` registers, so its notify
        // finds nobody. `a` registers (first), and its re-check takes that message. `b`
        // then waits on an empty queue. The next push's notify lands on `a`, still
        // registered, before `a` disarms: `b` must get it, or it sleeps with a message
        // queued.
        let signal = Signal::new();
        let (a_wakes, a_waker) = counting();
        let (b_wakes, b_waker) = counting();
        let mut queued = 0;
        let (mut a, mut b) = (Waiter::new(&signal), Waiter::new(&signal));

        queued += 1;
        signal.notify_one();
        assert!(a.arm(&mut Context::from_waker(&a_waker)));
        queued -= 1; // `a`'s re-check takes the message

        assert!(b.arm(&mut Context::from_waker(&b_waker)));
        assert_eq!(queued, 0, "`b`'s re-check finds nothing");
        assert!(!b.arm(&mut Context::from_waker(&b_waker)), "`b` sleeps");

        queued += 1;
        signal.notify_one(); // lands on `a`, registered first
        a.disarm();

        assert_eq!(queued, 1);
        assert_eq!(a_wakes.load(Ordering::Relaxed), 1);
        assert_eq!(b_wakes.load(Ordering::Relaxed), 1, "`b` was woken");
        assert_eq!(signal.waiting(), 0);
        assert!(b.arm(&mut Context::from_waker(&b_waker)), "`b` looks again");
    }

    #[test]
    fn slots_are_reused() {
        let signal = Signal::new();
        for _ in 0..100 {
            let mut waiter = Waiter::new(&signal);
            waiter.arm(&mut cx());
        }
        assert_eq!(signal.slots.lock().entries.len(), 1);
        assert_eq!(signal.waiting(), 0);
    }

    #[test]
    fn notify_all_wakes_everyone() {
        let signal = Signal::new();
        let mut waiters: Vec<_> = (0..5).map(|_| Waiter::new(&signal)).collect();
        for waiter in &mut waiters {
            waiter.arm(&mut cx());
        }
        signal.notify_all();
        assert_eq!(signal.waiting(), 0);
    }
}
