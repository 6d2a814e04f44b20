//! `Places`: where a segment's message records still owed are, so that a checkpoint can
//! name them without reading the segment again.
//!
//! Appends come in sequence order, so the places stay sorted by sequence number: an append
//! is a push at the end, an acknowledgement a binary search that leaves a tombstone (a zero
//! length). Tombstones are swept out once they outnumber the live places three to one, so
//! the memory is a small multiple of what is owed and a sweep is paid for by the
//! acknowledgements before it.

/// Where one message record is: its sequence number, its offset in its segment and its
/// length (frame included). A length of zero marks a place no longer owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) seq: u64,
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

/// The places of one segment's owed message records, by increasing sequence number.
#[derive(Debug, Default)]
pub(crate) struct Places {
    entries: Vec<Place>,
    live: u64,
}

/// Below this many entries, tombstones are not worth sweeping.
const SWEEP_FROM: usize = 64;

impl Places {
    /// Notes a message record appended after every one noted so far.
    pub(crate) fn push(&mut self, place: Place) {
        debug_assert!(self.entries.last().is_none_or(|last| last.seq < place.seq));
        self.entries.push(place);
        self.live += 1;
    }

    /// Forgets the record of `seq`; returns whether it was owed.
    pub(crate) fn remove(&mut self, seq: u64) -> bool {
        let Ok(at) = self.entries.binary_search_by_key(&seq, |place| place.seq) else {
            return false;
        };
        let place = &mut self.entries[at];
        if place.len == 0 {
            return false;
        }
        place.len = 0;
        self.live -= 1;
        if self.entries.len() >= SWEEP_FROM && self.live * 4 < self.entries.len() as u64 {
            self.entries.retain(|place| place.len != 0);
        } else if self.live == 0 {
            self.entries = Vec::new();
        }
        true
    }

    /// How many records are owed.
    pub(crate) fn live(&self) -> u64 {
        self.live
    }

    /// The owed records, by increasing sequence number.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Place> + '_ {
        self.entries.iter().copied().filter(|place| place.len != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(seq: u64) -> Place {
        Place {
            seq,
            offset: seq * 10,
            len: 10,
        }
    }

    #[test]
    fn places_follow_appends_and_acknowledgements_in_any_order() {
        let mut places = Places::default();
        for seq in 1..=1000 {
            places.push(place(seq));
        }
        // Acknowledge all but every 97th, from both ends, so sweeps happen in between.
        let mut expected: Vec<u64> = Vec::new();
        for seq in (1..=1000).rev() {
            if seq % 97 == 0 {
                expected.push(seq);
            } else if seq % 2 == 0 {
                assert!(places.remove(seq));
            }
        }
        for seq in (1..=1000).filter(|s| s % 2 == 1 && s % 97 != 0) {
            assert!(places.remove(seq));
            assert!(
                !places.remove(seq),
                "a second acknowledgement finds nothing"
            );
        }
        expected.sort_unstable();
        assert_eq!(places.live(), expected.len() as u64);
        assert_eq!(places.iter().map(|p| p.seq).collect::<Vec<_>>(), expected);
        assert!(places.entries.len() < 4 * expected.len() + SWEEP_FROM);
        assert!(!places.remove(5000));
    }
}
