//! Every key of `#[elastic_queue(...)]` and `#[elasticq::queue(...)]`, spelled once, with the
//! sites that accept it (serde_derive's `symbol.rs`, plus where each key may be written).
//!
//! Parsers match what was written against this table, error messages name keys through it,
//! and "did you mean" suggests from it, so a key added here is accepted, listed and suggested
//! everywhere at once.

use std::fmt;

use syn::Attribute;

/// The attribute every site but `#[elasticq::queue(...)]` writes its keys in.
pub(crate) const ATTRIBUTE: &str = "elastic_queue";

/// The `#[elastic_queue(...)]` attributes among `attrs`.
pub(crate) fn ours(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident(ATTRIBUTE))
}

/// Where a key is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Site {
    /// `#[elastic_queue(...)]` on a type deriving `ElasticQueue`.
    Container,
    /// `#[elasticq::queue(...)]` on a unit struct.
    QueueArgs,
    /// `#[elastic_queue(...)]` on a field of a struct message.
    Field,
    /// `#[elastic_queue(...)]` on a variant of an enum message.
    Variant,
    /// Inside `capacity(...)`.
    Capacity,
    /// Inside `fair(...)`.
    Fair,
    /// Inside `persist(...)`.
    Persist,
    /// Inside `sync = periodic(...)`.
    Periodic,
    /// Inside a field's `priority(...)`.
    Priority,
    /// Inside `jetstream(...)`.
    JetStream,
}

/// An attribute key. Its spelling and its sites live in [`TABLE`] alone.
// Variants are named after the keys they stand for, `partition_key` and `key` among them.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Key {
    Message,
    Engine,
    Capacity,
    Initial,
    Min,
    Max,
    MaxBytes,
    Overflow,
    Weight,
    GrowthFactor,
    ShrinkThreshold,
    Partitions,
    Fair,
    MaxConsecutive,
    Priority,
    Levels,
    PartitionKey,
    Mode,
    Persist,
    Sync,
    SegmentBytes,
    Ms,
    Codec,
    Metrics,
    Name,
    Crate,
    MapKey,
    Version,
    JetStream,
    Stream,
    Subject,
}

struct Entry {
    key: Key,
    name: &'static str,
    sites: &'static [Site],
}

const fn entry(key: Key, name: &'static str, sites: &'static [Site]) -> Entry {
    Entry { key, name, sites }
}

use Site::{Container, Field, QueueArgs, Variant};

/// The table. Its order is the order keys are listed in errors ("expected one of ...").
const TABLE: &[Entry] = &[
    entry(Key::Message, "message", &[QueueArgs]),
    entry(Key::Engine, "engine", &[Container, QueueArgs]),
    entry(Key::Capacity, "capacity", &[Container, QueueArgs]),
    entry(Key::Initial, "initial", &[Site::Capacity]),
    entry(Key::Min, "min", &[Site::Capacity]),
    entry(Key::Max, "max", &[Site::Capacity]),
    entry(Key::MaxBytes, "max_bytes", &[Site::Capacity]),
    entry(Key::Overflow, "overflow", &[Container, QueueArgs]),
    entry(Key::Weight, "weight", &[Container, QueueArgs]),
    entry(Key::GrowthFactor, "growth_factor", &[Container, QueueArgs]),
    entry(
        Key::ShrinkThreshold,
        "shrink_threshold",
        &[Container, QueueArgs],
    ),
    entry(Key::Partitions, "partitions", &[Container, QueueArgs]),
    entry(Key::Fair, "fair", &[Container, QueueArgs]),
    entry(Key::MaxConsecutive, "max_consecutive", &[Site::Fair]),
    entry(Key::Priority, "priority", &[Field, Variant]),
    entry(Key::Levels, "levels", &[Site::Priority]),
    entry(Key::PartitionKey, "partition_key", &[Container, Field]),
    entry(Key::Mode, "mode", &[Container]),
    entry(Key::Persist, "persist", &[Container, QueueArgs]),
    entry(Key::Sync, "sync", &[Site::Persist]),
    entry(Key::SegmentBytes, "segment_bytes", &[Site::Persist]),
    entry(Key::Ms, "ms", &[Site::Periodic]),
    entry(Key::Codec, "codec", &[Container]),
    entry(Key::Metrics, "metrics", &[Container, QueueArgs]),
    entry(Key::Name, "name", &[Container]),
    entry(Key::Crate, "crate", &[Container, QueueArgs]),
    entry(Key::MapKey, "key", &[Field]),
    entry(Key::Version, "version", &[Field]),
    entry(Key::JetStream, "jetstream", &[Container, QueueArgs]),
    entry(Key::Stream, "stream", &[Site::JetStream]),
    entry(Key::Subject, "subject", &[Site::JetStream]),
];

impl Key {
    /// The key as it is written.
    pub(crate) fn name(self) -> &'static str {
        Self::entry(self).name
    }

    /// The key spelled `written`, wherever it is accepted.
    pub(crate) fn named(written: &str) -> Option<Key> {
        TABLE
            .iter()
            .find(|entry| entry.name == written)
            .map(|entry| entry.key)
    }

    /// The key spelled `written`, if `site` accepts it.
    pub(crate) fn at(site: Site, written: &str) -> Option<Key> {
        Self::named(written).filter(|key| Self::entry(*key).sites.contains(&site))
    }

    /// Whether `path` is this key.
    pub(crate) fn is(self, path: &syn::Path) -> bool {
        path.is_ident(self.name())
    }

    fn entry(key: Key) -> &'static Entry {
        TABLE
            .iter()
            .find(|entry| entry.key == key)
            .expect("every key has an entry in TABLE")
    }
}

impl fmt::Display for Key {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl Site {
    /// The names of every key this site accepts, in table order.
    pub(crate) fn keys(self) -> Vec<&'static str> {
        TABLE
            .iter()
            .filter(|entry| entry.sites.contains(&self))
            .map(|entry| entry.name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_one_entry() {
        for entry in TABLE {
            let same: Vec<_> = TABLE.iter().filter(|e| e.key == entry.key).collect();
            assert_eq!(same.len(), 1, "{:?} has {} entries", entry.key, same.len());
            assert_eq!(Key::named(entry.name), Some(entry.key));
        }
    }

    #[test]
    fn sites_list_their_keys_in_table_order() {
        assert_eq!(
            Site::Field.keys(),
            ["priority", "partition_key", "key", "version"]
        );
        assert_eq!(
            Site::Capacity.keys(),
            ["initial", "min", "max", "max_bytes"]
        );
        assert_eq!(Site::Variant.keys(), ["priority"]);
        assert_eq!(Key::at(Site::QueueArgs, "mode"), None);
        assert_eq!(Key::at(Site::Container, "mode"), Some(Key::Mode));
    }
}
