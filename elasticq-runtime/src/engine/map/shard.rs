//! One partition of the map engine: its entries by key, and the order their keys were first
//! inserted in, under the partition's lock.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use super::{Entry, Put};
use crate::config::Config;
use crate::error::PushError;
use crate::message::MapMessage;
use crate::stats::Stats;

pub(super) struct Slot<M> {
    /// When the key was first inserted; matches its mark in the order.
    pub(super) seq: u64,
    pub(super) message: M,
    pub(super) overwrites: u64,
}

pub(super) struct Shard<M: MapMessage> {
    pub(super) entries: HashMap<M::Key, Slot<M>>,
    pub(super) order: VecDeque<(u64, M::Key)>,
    pub(super) next_seq: u64,
    pub(super) enqueued: u64,
    pub(super) dequeued: u64,
    pub(super) rejected: u64,
    /// Of `rejected`, refused because the queue was closed.
    pub(super) rejected_closed: u64,
    pub(super) resizes: u64,
    pub(super) overwrites: u64,
    pub(super) stale: u64,
}

impl<M: MapMessage> Shard<M> {
    pub(super) fn new(config: &Config) -> Self {
        Self {
            entries: HashMap::with_capacity(config.get_initial_capacity().min(1 << 16)),
            order: VecDeque::new(),
            next_seq: 0,
            enqueued: 0,
            dequeued: 0,
            rejected: 0,
            rejected_closed: 0,
            resizes: 0,
            overwrites: 0,
            stale: 0,
        }
    }

    pub(super) fn put(&mut self, message: M, config: &Config) -> Result<Put<M>, PushError<M>> {
        if let Some(slot) = self.entries.get_mut(message.key()) {
            let newer = match (message.version(), slot.message.version()) {
                (Some(new), Some(old)) => new > old,
                _ => true,
            };
            if !newer {
                self.stale += 1;
                return Ok(Put::Stale(message));
            }
            slot.overwrites += 1;
            self.overwrites += 1;
            return Ok(Put::Replaced(std::mem::replace(&mut slot.message, message)));
        }
        if self.entries.len() >= config.get_max_capacity() {
            self.rejected += 1;
            return Err(PushError::Full(message));
        }
        let capacity = self.entries.capacity();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((seq, message.key().clone()));
        self.entries.insert(
            message.key().clone(),
            Slot {
                seq,
                message,
                overwrites: 0,
            },
        );
        self.enqueued += 1;
        if self.entries.capacity() != capacity {
            self.resizes += 1;
        }
        Ok(Put::Inserted)
    }

    pub(super) fn pop(&mut self, config: &Config) -> Option<Entry<M>> {
        while let Some((seq, key)) = self.order.pop_front() {
            match self.entries.get(&key) {
                Some(slot) if slot.seq == seq => {
                    let slot = self.entries.remove(&key)?;
                    self.dequeued += 1;
                    self.shrink_if_sparse(config);
                    return Some(Entry {
                        message: slot.message,
                        overwrites: slot.overwrites,
                    });
                }
                // A mark left by `remove` (and perhaps a later re-insert with a new mark).
                _ => continue,
            }
        }
        None
    }

    pub(super) fn remove<Q>(&mut self, key: &Q, config: &Config) -> Option<M>
    where
        M::Key: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.entries.remove(key)?;
        self.dequeued += 1;
        if self.order.len() > 2 * self.entries.len() + 16 {
            let entries = &self.entries;
            self.order.retain(|(seq, marked)| {
                entries
                    .get::<M::Key>(marked)
                    .is_some_and(|slot| slot.seq == *seq)
            });
        }
        self.shrink_if_sparse(config);
        Some(slot.message)
    }

    fn shrink_if_sparse(&mut self, config: &Config) {
        let capacity = self.entries.capacity();
        if config.should_shrink(capacity, self.entries.len()) {
            self.entries
                .shrink_to(config.shrunk(capacity, self.entries.len()));
            if self.entries.capacity() != capacity {
                self.resizes += 1;
            }
        }
    }

    pub(super) fn stats(&self, config: &Config) -> Stats {
        Stats {
            enqueued: self.enqueued,
            dequeued: self.dequeued,
            rejected: self.rejected,
            rejected_closed: self.rejected_closed,
            max_capacity: config.get_max_capacity(),
            resizes: self.resizes,
            len: self.entries.len(),
            capacity: self.entries.capacity(),
            overwrites: self.overwrites,
            stale: self.stale,
            ..Stats::default()
        }
    }
}
