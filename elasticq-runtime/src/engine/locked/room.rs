//! Places held for permits in a `LockedQueue`: a count kept under the lock beside the queued
//! messages, so `queued + held <= max_capacity` holds by the same lock that guards both.

use super::LockedQueue;
use crate::config::Overflow;
use crate::engine::room::{NoRoom, Room};

impl<T: Send> Room<T> for LockedQueue<T> {
    /// Holds `n` places; under `Overflow::DropOldest`, evicts the oldest messages to make
    /// them, as a push would.
    fn try_reserve(&self, n: usize) -> Result<(), NoRoom> {
        let max = self.config.get_max_capacity();
        let mut evicted = Vec::new();
        let mut state = self.lock();
        if state.closed {
            return Err(NoRoom::Closed);
        }
        let wanted = state.reserved.checked_add(n).ok_or(NoRoom::Full)?;
        if wanted > max {
            return Err(NoRoom::Full);
        }
        while state.items.len() + wanted > max {
            if self.config.get_overflow() != Overflow::DropOldest {
                return Err(NoRoom::Full);
            }
            // `wanted <= max`, so the loop ends at the latest when the lane is empty.
            match state.evict_oldest(&self.hooks) {
                Some(oldest) => evicted.push(oldest),
                None => break,
            }
        }
        state.reserved = wanted;
        drop(state);
        self.hand_over(evicted);
        Ok(())
    }

    fn release(&self, n: usize) {
        let mut state = self.lock();
        state.reserved = state.reserved.saturating_sub(n);
        let wake = state.push_waiters > 0;
        drop(state);
        if wake {
            self.not_full.notify_all();
        }
    }

    fn push_reserved(&self, value: T) {
        let weight = self.hooks.weigh(&value);
        let mut state = self.lock();
        state.reserved = state.reserved.saturating_sub(1);
        // The place was counted against the maximum, so the ring may grow for it.
        state.grow_for_one(&self.config);
        self.land(state, value, weight);
    }
}
