//! The queue's keys as a model ([`QueueAttrs`]) and the parser that fills it.
//!
//! One parser serves the derive's container attribute and the arguments of
//! `#[elasticq::queue(...)]`; the key table says which keys each accepts. A key with a bad
//! value is reported and skipped so that parsing goes on and every mistake is reported at
//! once.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Ident, LitStr, Path, Type};

use crate::errors::Errors;
use crate::parse::jetstream::{parse_jetstream, JetStream};
use crate::parse::keys::{ours, Key, Site};
use crate::parse::persist::{parse_codec, parse_persist, CodecKind, Persist, SyncKind};
use crate::parse::read::{parse_float, set, skip_value, Spanned};
use crate::parse::suggest::{nearest, one_of};
use crate::parse::values;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineKind {
    Locked,
    LockFree,
}

/// `partitions = N` or `partitions = auto`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartitionCount {
    Count(usize),
    Auto,
}

/// `partition_key = ...` on the type.
#[derive(Clone)]
pub(crate) enum ContainerKey {
    /// `partition_key = self`: the whole message.
    Whole,
    /// `partition_key = Self::route`: a `fn(&Self) -> K`.
    Function(Path),
}

/// `overflow = reject | drop_oldest`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OverflowKind {
    Reject,
    DropOldest,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Queue,
    Map,
}

/// Every key a queue declaration can carry; `None` where it was not written.
#[derive(Default)]
pub(crate) struct QueueAttrs {
    pub(crate) engine: Option<Spanned<EngineKind>>,
    pub(crate) initial: Option<Spanned<usize>>,
    pub(crate) min: Option<Spanned<usize>>,
    pub(crate) max: Option<Spanned<usize>>,
    /// `capacity(max_bytes = N)`: the byte bound of each lane, spanned on the number.
    pub(crate) max_bytes: Option<Spanned<usize>>,
    /// Where the `max_bytes` key itself is written.
    pub(crate) max_bytes_key: Option<Span>,
    /// `overflow = ...`, spanned on the policy.
    pub(crate) overflow: Option<Spanned<OverflowKind>>,
    /// Where the `overflow` key itself is written.
    pub(crate) overflow_key: Option<Span>,
    /// `weight = path`: the `fn(&M) -> usize` weighing a message, spanned on the path.
    pub(crate) weight: Option<Spanned<Path>>,
    /// Where the `weight` key itself is written.
    pub(crate) weight_key: Option<Span>,
    pub(crate) growth_factor: Option<Spanned<f64>>,
    pub(crate) shrink_threshold: Option<Spanned<f64>>,
    pub(crate) partitions: Option<Spanned<PartitionCount>>,
    /// `fair(max_consecutive = k)`: `k`, spanned on the number.
    pub(crate) fair: Option<Spanned<usize>>,
    /// Where the `fair` key itself is written, for errors about the key rather than its value.
    pub(crate) fair_key: Option<Span>,
    pub(crate) partition_key: Option<Spanned<ContainerKey>>,
    pub(crate) mode: Option<Spanned<Mode>>,
    /// `persist(sync = ...)`: the policy, spanned on it (or on `persist` when bare).
    pub(crate) persist: Option<Spanned<SyncKind>>,
    /// Where the `persist` key itself is written.
    pub(crate) persist_key: Option<Span>,
    /// `persist(segment_bytes = N)`: the log's segment size, spanned on `N`.
    pub(crate) segment_bytes: Option<Spanned<u64>>,
    pub(crate) codec: Option<Spanned<CodecKind>>,
    /// `metrics = "label"`: the queue's label in every series.
    pub(crate) metrics: Option<LitStr>,
    pub(crate) name: Option<Ident>,
    pub(crate) krate: Option<Path>,
    pub(crate) message: Option<Type>,
    /// `jetstream(stream = "...", subject = "...")`: the queue lives in a JetStream stream.
    pub(crate) jetstream: Option<JetStream>,
    /// Where the `jetstream` key itself is written.
    pub(crate) jetstream_key: Option<Span>,
    /// `message` was written, even if with a value that was reported as invalid.
    pub(crate) message_written: bool,
}

/// Parses one key (and its value) of a queue declaration into `attrs`. Mistakes in a key are
/// recorded in `errors`; `Err` only when the tokens cannot be read past.
pub(crate) fn parse_key(
    meta: &ParseNestedMeta<'_>,
    site: Site,
    attrs: &mut QueueAttrs,
    errors: &mut Errors,
) -> syn::Result<()> {
    let Some(written) = meta.path.get_ident().map(Ident::to_string) else {
        errors.at(
            meta.path.span(),
            format!("expected a key: one of {}", one_of(&site.keys())),
        );
        return skip_value(meta);
    };
    let span = meta.path.span();
    let Some(key) = Key::at(site, &written) else {
        errors.at(span, unknown_key(&written, site));
        return skip_value(meta);
    };
    match key {
        Key::Engine => {
            let value = values::engine(meta, errors)?;
            set(&mut attrs.engine, value, key, span, errors);
        }
        Key::Capacity => values::capacity(meta, attrs, errors)?,
        Key::Overflow => {
            let value = values::overflow(meta, errors)?;
            attrs.overflow_key.get_or_insert(span);
            set(&mut attrs.overflow, value, key, span, errors);
        }
        Key::Weight => {
            let value = values::weight(meta, site, errors)?;
            attrs.weight_key.get_or_insert(span);
            set(&mut attrs.weight, value, key, span, errors);
        }
        Key::GrowthFactor => {
            let value = parse_float(meta, key, "growth_factor = 2.0", errors)?;
            set(&mut attrs.growth_factor, value, key, span, errors);
        }
        Key::ShrinkThreshold => {
            let value = parse_float(meta, key, "shrink_threshold = 0.25", errors)?;
            set(&mut attrs.shrink_threshold, value, key, span, errors);
        }
        Key::Partitions => {
            let value = values::partitions(meta, errors)?;
            set(&mut attrs.partitions, value, key, span, errors);
        }
        Key::Fair => {
            let value = values::fair(meta, errors)?;
            attrs.fair_key.get_or_insert(span);
            set(&mut attrs.fair, value, key, span, errors);
        }
        Key::PartitionKey => {
            let value = values::container_key(meta, errors)?;
            set(&mut attrs.partition_key, value, key, span, errors);
        }
        Key::Mode => {
            let value = values::mode(meta, errors)?;
            set(&mut attrs.mode, value, key, span, errors);
        }
        Key::Persist => {
            let Persist {
                sync,
                segment_bytes,
            } = parse_persist(meta, errors)?;
            attrs.persist_key.get_or_insert(span);
            let duplicate = attrs.persist.is_some();
            set(&mut attrs.persist, sync, key, span, errors);
            if !duplicate {
                attrs.segment_bytes = segment_bytes;
            }
        }
        Key::Codec => {
            let value = parse_codec(meta, errors)?;
            set(&mut attrs.codec, value, key, span, errors);
        }
        Key::Metrics => {
            let value = values::metrics(meta, errors)?;
            set(&mut attrs.metrics, value, key, span, errors);
        }
        Key::Name => {
            let value = values::name(meta, errors)?;
            set(&mut attrs.name, value, key, span, errors);
        }
        Key::Crate => {
            let value = values::crate_path(meta, errors)?;
            set(&mut attrs.krate, value, key, span, errors);
        }
        Key::JetStream => {
            let value = parse_jetstream(meta, errors)?;
            attrs.jetstream_key.get_or_insert(span);
            set(&mut attrs.jetstream, value, key, span, errors);
        }
        Key::Message => {
            attrs.message_written = true;
            let value = values::message(meta, errors)?;
            set(&mut attrs.message, value, key, span, errors);
        }
        Key::Initial
        | Key::Min
        | Key::Max
        | Key::MaxBytes
        | Key::MaxConsecutive
        | Key::Priority
        | Key::Levels
        | Key::Sync
        | Key::SegmentBytes
        | Key::Ms
        | Key::MapKey
        | Key::Version
        | Key::Stream
        | Key::Subject => unreachable!("`{key}` is not a key of {site:?}"),
    }
    Ok(())
}

fn unknown_key(written: &str, site: Site) -> String {
    let mut message = format!("unknown key `{written}`");
    if let Some(near) = nearest(written, &site.keys()) {
        message += &format!("; did you mean `{near}`?");
    } else {
        match (site, Key::named(written)) {
            (Site::Container, Some(Key::Message)) => {
                message += &format!(
                    "; `{key}` belongs to `#[elasticq::queue({key} = ...)]`, which declares \
                     another queue for a message that derives ElasticQueue",
                    key = Key::Message
                );
            }
            (Site::QueueArgs, Some(Key::Name)) => {
                message += "; the queue takes the name of the struct the attribute is on";
            }
            (Site::QueueArgs, Some(Key::PartitionKey | Key::Mode | Key::Codec)) => {
                message += "; it belongs on the message: `#[elastic_queue(...)]` on the type \
                            deriving ElasticQueue, whose queues all share it";
            }
            (
                Site::Container | Site::QueueArgs,
                Some(key @ (Key::Initial | Key::Min | Key::Max | Key::MaxBytes)),
            ) => {
                message += &format!(
                    "; `{key}` is a size, which goes inside `{capacity}(...)`: write \
                     `{capacity}({key} = ...)`",
                    capacity = Key::Capacity
                );
            }
            _ => message += &format!("; expected one of {}", one_of(&site.keys())),
        }
    }
    message
}

/// `#[elastic_queue(crate = path)]` on an item whose derive takes no other key (`Priority`,
/// `Codec`): where elasticq is when the dependency is renamed. Other keys are reported with
/// `other_keys`, or skipped when it is `None` (for a derive that shares the item with
/// `ElasticQueue`, which checks them).
pub(crate) fn crate_path(
    input: &syn::DeriveInput,
    other_keys: impl Into<Option<&'static str>>,
    errors: &mut Errors,
) -> Option<Path> {
    let other_keys = other_keys.into();
    let mut krate = None;
    for attribute in ours(&input.attrs) {
        let parsed = attribute.parse_nested_meta(|meta| {
            if Key::Crate.is(&meta.path) {
                krate = values::crate_path(&meta, errors)?;
                return Ok(());
            }
            if let Some(message) = other_keys {
                errors.at(meta.path.span(), message);
            }
            skip_value(&meta)
        });
        if let Err(error) = parsed {
            if other_keys.is_some() {
                errors.push(error);
            }
        }
    }
    krate
}
