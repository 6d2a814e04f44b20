//! Permits: a place held in a queue's lane ahead of the push that fills it, as tokio's
//! `Sender::reserve` holds a slot of a channel.
//!
//! A [`Permit`] is granted only when its engine counted the place against `max_capacity`
//! ([`Room`]), so [`Permit::push`] cannot be refused; dropping it unused gives the place back
//! and wakes a task waiting for room. Waiting for a permit ([`ReserveAsync`]) is cancel-safe
//! in the way waiting for a message is: the place is taken only inside the `poll` that
//! returns it, so a future dropped before it completes holds nothing, and a wake-up it
//! consumed is passed on to another waiting task.

use std::fmt;
use std::mem::ManuallyDrop;

use super::Signals;
use crate::engine::{NoRoom, Room};

/// The error of waiting for a permit: the queue was closed. It is the only one: a queue that
/// is full is waited on.
///
/// ```
/// let closed = elasticq_runtime::Closed;
/// assert_eq!(closed.to_string(), "the queue is closed");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is closed")
    }
}

impl std::error::Error for Closed {}

/// A place held for one message in a lane of a generated queue. [`push`](Self::push) fills
/// it and cannot fail; dropping the permit gives the place back.
///
/// ```
/// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, Permit};
/// # use elasticq_runtime::__private::Signals;
/// let lane = LockedQueue::with_config(Config::new().initial_capacity(1).max_capacity(1))?;
/// let signals = Signals::new();
/// let room = lane.room_for(None).expect("engines hold places");
/// let permit = Permit::try_new(room, &signals)?;
/// assert!(lane.push(1).is_err()); // the only place is held
/// permit.push(2);
/// assert_eq!(lane.pop(), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping a permit gives its place back"]
pub struct Permit<'a, M> {
    room: &'a dyn Room<M>,
    signals: &'a Signals,
}

impl<'a, M> Permit<'a, M> {
    /// Holds one place in `room` now, or says why it cannot (`Full`, `Closed`).
    ///
    /// ```
    /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, NoRoom, Permit};
    /// # use elasticq_runtime::__private::Signals;
    /// let lane = LockedQueue::<u8>::with_config(Config::new().initial_capacity(1).max_capacity(1))?;
    /// let signals = Signals::new();
    /// let room = lane.room_for(None).unwrap();
    /// let held = Permit::try_new(room, &signals)?;
    /// assert_eq!(Permit::try_new(room, &signals).err(), Some(NoRoom::Full));
    /// drop(held); // gives the place back
    /// assert!(Permit::try_new(room, &signals).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(room: &'a dyn Room<M>, signals: &'a Signals) -> Result<Self, NoRoom> {
        room.try_reserve(1)?;
        Ok(Self { room, signals })
    }

    /// Pushes `message` into the held place and wakes a task waiting for a message. Never
    /// refused, also when the queue was closed after the permit was granted.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, Permit};
    /// # use elasticq_runtime::__private::Signals;
    /// # let lane = LockedQueue::with_config(Config::new())?;
    /// # let signals = Signals::new();
    /// let permit = Permit::try_new(lane.room_for(None).unwrap(), &signals)?;
    /// lane.close();
    /// permit.push("granted before the close");
    /// assert_eq!(lane.pop(), Some("granted before the close"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(self, message: M) {
        let this = ManuallyDrop::new(self);
        this.room.push_reserved(message);
        this.signals.pushed(1);
    }
}

impl<M> Drop for Permit<'_, M> {
    fn drop(&mut self) {
        self.room.release(1);
        self.signals.popped();
    }
}

impl<M> fmt::Debug for Permit<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// Places held for several messages in one lane, handed out one [`Permit`] at a time; the
/// places not handed out are given back when this is dropped.
///
/// ```
/// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, Permits};
/// # use elasticq_runtime::__private::Signals;
/// let lane = LockedQueue::with_config(Config::new().initial_capacity(4).max_capacity(4))?;
/// let signals = Signals::new();
/// let mut permits = Permits::try_new(lane.room_for(None).unwrap(), &signals, 3)?;
/// assert_eq!(permits.len(), 3);
/// for (permit, message) in permits.by_ref().zip(["a", "b"]) {
///     permit.push(message);
/// }
/// drop(permits); // the third place is given back
/// assert_eq!(lane.drain(), vec!["a", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the permits gives their places back"]
pub struct Permits<'a, M> {
    room: &'a dyn Room<M>,
    signals: &'a Signals,
    left: usize,
}

impl<'a, M> Permits<'a, M> {
    /// Holds `n` places in `room` now, all or none.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, NoRoom, Permits};
    /// # use elasticq_runtime::__private::Signals;
    /// let lane = LockedQueue::<u8>::with_config(Config::new().initial_capacity(2).max_capacity(2))?;
    /// let signals = Signals::new();
    /// let room = lane.room_for(None).unwrap();
    /// assert_eq!(Permits::try_new(room, &signals, 3).err(), Some(NoRoom::Full));
    /// assert_eq!(Permits::try_new(room, &signals, 2)?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(room: &'a dyn Room<M>, signals: &'a Signals, n: usize) -> Result<Self, NoRoom> {
        room.try_reserve(n)?;
        Ok(Self {
            room,
            signals,
            left: n,
        })
    }
}

impl<'a, M> Iterator for Permits<'a, M> {
    type Item = Permit<'a, M>;

    fn next(&mut self) -> Option<Permit<'a, M>> {
        self.left = self.left.checked_sub(1)?;
        Some(Permit {
            room: self.room,
            signals: self.signals,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<M> ExactSizeIterator for Permits<'_, M> {}

impl<M> Drop for Permits<'_, M> {
    fn drop(&mut self) {
        if self.left > 0 {
            self.room.release(self.left);
            self.signals.popped();
        }
    }
}

impl<M> fmt::Debug for Permits<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permits")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "tokio")]
pub use self::waiting::{ReserveAsync, ReserveManyAsync};

#[cfg(feature = "tokio")]
mod waiting {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;
    use crate::wait::Waiter;

    /// One step of waiting for `n` places: `Ready(Ok)` once held, `Ready(Err)` when closed
    /// (or, for `Full`, when `n` places can never be held), `Pending` with the task
    /// registered for room otherwise.
    fn poll_reserve<M>(
        room: &dyn Room<M>,
        waiter: &mut Waiter<'_>,
        n: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), NoRoom>> {
        loop {
            match room.try_reserve(n) {
                Ok(()) => {
                    waiter.disarm();
                    return Poll::Ready(Ok(()));
                }
                Err(NoRoom::Closed) => {
                    waiter.disarm();
                    return Poll::Ready(Err(NoRoom::Closed));
                }
                Err(NoRoom::Full) => {
                    if !waiter.arm(cx) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    /// The future of a generated queue's `reserve`: a [`Permit`] once a place is free, or
    /// [`Closed`]. Dropping it before it completes holds no place and loses no wake-up.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, ReserveAsync};
    /// # use elasticq_runtime::__private::Signals;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lane = LockedQueue::with_config(Config::new())?;
    /// let signals = Signals::new();
    /// let permit = ReserveAsync::new(lane.room_for(None).unwrap(), &signals).await?;
    /// permit.push(1u8);
    /// assert_eq!(lane.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct ReserveAsync<'a, M> {
        room: &'a dyn Room<M>,
        signals: &'a Signals,
        waiter: Waiter<'a>,
    }

    impl<'a, M> ReserveAsync<'a, M> {
        /// Waits for one place in `room`, woken through `signals`.
        ///
        /// ```
        /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, ReserveAsync};
        /// # use elasticq_runtime::__private::Signals;
        /// # let lane = LockedQueue::<u8>::with_config(Config::new()).unwrap();
        /// # let signals = Signals::new();
        /// let reserve = ReserveAsync::new(lane.room_for(None).unwrap(), &signals); // nothing held yet
        /// # drop(reserve);
        /// ```
        pub fn new(room: &'a dyn Room<M>, signals: &'a Signals) -> Self {
            Self {
                room,
                signals,
                waiter: Waiter::new(&signals.room),
            }
        }
    }

    impl<'a, M> Future for ReserveAsync<'a, M> {
        type Output = Result<Permit<'a, M>, Closed>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = self.get_mut();
            poll_reserve(this.room, &mut this.waiter, 1, cx).map(|held| match held {
                Ok(()) => Ok(Permit {
                    room: this.room,
                    signals: this.signals,
                }),
                // One place always fits a lane (its maximum is at least 1): only a close
                // ends the wait without one.
                Err(_) => Err(Closed),
            })
        }
    }

    impl<M> fmt::Debug for ReserveAsync<'_, M> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ReserveAsync").finish_non_exhaustive()
        }
    }

    /// The future of a generated queue's `reserve_many`: [`Permits`] for `n` messages once
    /// `n` places are free together, `NoRoom::Closed` if the queue closes first, or
    /// `NoRoom::Full` at once when `n` exceeds the lane's maximum (it could never be held).
    /// Cancel-safe as [`ReserveAsync`] is.
    ///
    /// ```
    /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, NoRoom, ReserveManyAsync};
    /// # use elasticq_runtime::__private::Signals;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lane = LockedQueue::<u8>::with_config(Config::new().initial_capacity(4).max_capacity(4))?;
    /// let signals = Signals::new();
    /// let room = lane.room_for(None).unwrap();
    /// assert_eq!(ReserveManyAsync::new(room, &signals, 5, 4).await.err(), Some(NoRoom::Full));
    /// assert_eq!(ReserveManyAsync::new(room, &signals, 4, 4).await?.len(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct ReserveManyAsync<'a, M> {
        room: &'a dyn Room<M>,
        signals: &'a Signals,
        waiter: Waiter<'a>,
        n: usize,
        max: usize,
    }

    impl<'a, M> ReserveManyAsync<'a, M> {
        /// Waits for `n` places in `room`, whose lane holds at most `max`.
        ///
        /// ```
        /// # use elasticq_runtime::{Config, LockedQueue, Lane, Engine, ReserveManyAsync};
        /// # use elasticq_runtime::__private::Signals;
        /// # let lane = LockedQueue::<u8>::with_config(Config::new()).unwrap();
        /// # let signals = Signals::new();
        /// let reserve = ReserveManyAsync::new(lane.room_for(None).unwrap(), &signals, 10, 1 << 20);
        /// # drop(reserve);
        /// ```
        pub fn new(room: &'a dyn Room<M>, signals: &'a Signals, n: usize, max: usize) -> Self {
            Self {
                room,
                signals,
                waiter: Waiter::new(&signals.room),
                n,
                max,
            }
        }
    }

    impl<'a, M> Future for ReserveManyAsync<'a, M> {
        type Output = Result<Permits<'a, M>, NoRoom>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = self.get_mut();
            if this.n > this.max {
                this.waiter.disarm();
                return Poll::Ready(Err(NoRoom::Full));
            }
            poll_reserve(this.room, &mut this.waiter, this.n, cx).map(|held| {
                held.map(|()| Permits {
                    room: this.room,
                    signals: this.signals,
                    left: this.n,
                })
            })
        }
    }

    impl<M> fmt::Debug for ReserveManyAsync<'_, M> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ReserveManyAsync")
                .field("n", &self.n)
                .finish_non_exhaustive()
        }
    }
}
