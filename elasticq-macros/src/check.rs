//! Semantic rules a declaration must keep, checked before any code is generated: one rule a
//! function (serde_derive's `check.rs`), each reporting every breach it finds on the token
//! at fault, with what to write instead. [`message`] and [`queue_decl`] run the rules of
//! their site in a fixed order, which is the order the errors are reported in.

use elasticq_runtime::__private::{
    check_stream_name, check_subject, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES,
};
use elasticq_runtime::{Config, Fairness, Overflow, MAX_CAPACITY, MAX_PARTITIONS};
use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{GenericParam, Type};

use crate::errors::Errors;
use crate::parse::attr::{Mode, OverflowKind, PartitionCount, QueueAttrs};
use crate::parse::keys::Key;
use crate::parse::read::Spanned;
use crate::parse::roles::PriorityKind;
use crate::parse::{Message, QueueDecl};

/// The most priority levels a message may have (the runtime's limit).
const MAX_LEVELS: usize = 1 << 16;

pub(crate) fn message(message: &Message<'_>, errors: &mut Errors) {
    owns_its_data(message, errors);
    sizes(&message.attrs, errors);
    partitions_in_range(&message.attrs, errors);
    segment_bytes_in_range(&message.attrs, errors);
    fair_pops_at_least_once(&message.attrs, errors);
    levels_in_range(message, errors);
    variant_levels_in_range(message, errors);
    fair_needs_priority(message, errors);
    one_partition_key(message, errors);
    if is_map(&message.attrs) {
        map_mode_has_a_key(message, errors);
        map_mode_takes_no_queue_layers(message, errors);
        map_mode_has_no_overflow_or_weight(&message.attrs, errors);
    } else {
        byte_bound_needs_a_weight(&message.attrs, "Self", errors);
        key_and_version_need_map_mode(message, errors);
    }
    codec_needs_persist(&message.attrs, errors);
    map_mode_is_not_persisted(&message.attrs, errors);
    jetstream_rules(&message.attrs, errors);
}

/// The rules of a `jetstream(...)` declaration, on either site.
fn jetstream_rules(attrs: &QueueAttrs, errors: &mut Errors) {
    jetstream_names_are_valid(attrs, errors);
    jetstream_is_not_persisted(attrs, errors);
    jetstream_takes_no_engine_keys(attrs, errors);
    jetstream_partitions_are_counted(attrs, errors);
    jetstream_map_is_one_bucket(attrs, errors);
    jetstream_map_has_no_metrics_yet(attrs, errors);
}

pub(crate) fn queue_decl(decl: &QueueDecl, errors: &mut Errors) {
    declared_queue_is_not_generic(decl, errors);
    message_is_a_type(decl, errors);
    sizes(&decl.attrs, errors);
    partitions_in_range(&decl.attrs, errors);
    segment_bytes_in_range(&decl.attrs, errors);
    fair_pops_at_least_once(&decl.attrs, errors);
    let message = quote::ToTokens::to_token_stream(&decl.message)
        .to_string()
        .replace(' ', "");
    byte_bound_needs_a_weight(&decl.attrs, &message, errors);
    jetstream_rules(&decl.attrs, errors);
}

fn is_map(attrs: &QueueAttrs) -> bool {
    matches!(
        attrs.mode,
        Some(Spanned {
            value: Mode::Map,
            ..
        })
    )
}

/// A queue hands messages to other threads, so a message has no lifetime parameter.
fn owns_its_data(message: &Message<'_>, errors: &mut Errors) {
    for param in &message.generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            errors.at(
                lifetime.span(),
                format!(
                    "a message must own its data: lifetime parameter `{}` is not supported, \
                     because a queue hands messages to other threads; use owned types \
                     (`String` for `&str`, `Vec<T>` for `&[T]`)",
                    lifetime.lifetime
                ),
            );
        }
    }
}

/// `codec` only means something for a message that is encoded: persisted, or on JetStream.
fn codec_needs_persist(attrs: &QueueAttrs, errors: &mut Errors) {
    if let (Some(codec), None, None) = (&attrs.codec, &attrs.persist_key, &attrs.jetstream_key) {
        errors.at(
            codec.span,
            "`codec` says how a persisted message is encoded, and this message is not \
             persisted: add `persist(sync = every_write)`, or remove `codec`",
        );
    }
}

/// The stream and subject follow the server's naming rules (the runtime's, checked at
/// `connect` too).
fn jetstream_names_are_valid(attrs: &QueueAttrs, errors: &mut Errors) {
    let Some(jetstream) = &attrs.jetstream else {
        return;
    };
    if let Some(stream) = &jetstream.stream {
        if let Err(why) = check_stream_name(&stream.value()) {
            errors.at(stream.span(), format!("invalid stream name: {why}"));
        }
    }
    if let Some(subject) = &jetstream.subject {
        if let Err(why) = check_subject(&subject.value()) {
            errors.at(subject.span(), format!("invalid subject: {why}"));
        }
    }
}

/// A JetStream queue is stored by the server; the local log would be a second copy with
/// its own order.
fn jetstream_is_not_persisted(attrs: &QueueAttrs, errors: &mut Errors) {
    if let (Some(_), Some(span)) = (attrs.jetstream_key, attrs.persist_key) {
        errors.at(
            span,
            "a `jetstream` queue is stored by the server (the builder's `storage`), so it \
             takes no `persist`: remove `persist`, or declare the persisted local queue and \
             the JetStream queue apart, one on the derive and one with \
             `#[elasticq::queue(message = ..., ...)]`",
        );
    }
}

/// The engine keys size a local ring; a stream is bounded by the builder's `max_bytes`.
fn jetstream_takes_no_engine_keys(attrs: &QueueAttrs, errors: &mut Errors) {
    if attrs.jetstream_key.is_none() {
        return;
    }
    let spans = [
        (Key::Engine, attrs.engine.as_ref().map(|v| v.span)),
        (
            Key::Capacity,
            attrs
                .initial
                .as_ref()
                .or(attrs.min.as_ref())
                .or(attrs.max.as_ref())
                .map(|v| v.span)
                .or(attrs.max_bytes_key),
        ),
        (Key::Overflow, attrs.overflow_key),
        (Key::Weight, attrs.weight_key),
        (
            Key::GrowthFactor,
            attrs.growth_factor.as_ref().map(|v| v.span),
        ),
        (
            Key::ShrinkThreshold,
            attrs.shrink_threshold.as_ref().map(|v| v.span),
        ),
    ];
    for (key, span) in spans {
        if let Some(span) = span {
            errors.at(
                span,
                format!(
                    "`{key}` configures a local engine, and a `jetstream` queue has none: its \
                     stream is bounded with the builder's `max_bytes`; remove `{key}`"
                ),
            );
        }
    }
}

/// Every process must route a key to the same subject, so the count is in the declaration.
fn jetstream_partitions_are_counted(attrs: &QueueAttrs, errors: &mut Errors) {
    if let (
        Some(_),
        Some(Spanned {
            value: PartitionCount::Auto,
            span,
        }),
    ) = (attrs.jetstream_key, &attrs.partitions)
    {
        errors.at(
            *span,
            "a `jetstream` queue's partitions are subjects every process must agree on: \
             write a number, e.g. `partitions = 8`, not `auto` (which counts this machine's \
             cores)",
        );
    }
}

/// A map-mode message on JetStream is one key-value bucket: it has no partitions to count.
fn jetstream_map_is_one_bucket(attrs: &QueueAttrs, errors: &mut Errors) {
    if let (Some(_), true, Some(partitions)) =
        (attrs.jetstream_key, is_map(attrs), &attrs.partitions)
    {
        errors.at(
            partitions.span,
            "a map-mode message on `jetstream` is one key-value bucket, named by `stream`, \
             which every process shares whole: remove `partitions`",
        );
    }
}

/// A JetStream map has no series yet (a JetStream queue has).
fn jetstream_map_has_no_metrics_yet(attrs: &QueueAttrs, errors: &mut Errors) {
    let (Some(_), true, Some(label)) = (attrs.jetstream_key, is_map(attrs), &attrs.metrics) else {
        return;
    };
    errors.at(
        label.span(),
        "`metrics` is not supported on a map-mode `jetstream` queue yet: remove it, or leave \
         out `mode = map`",
    );
}

/// The log keeps a queue's order, which map mode does not have.
fn map_mode_is_not_persisted(attrs: &QueueAttrs, errors: &mut Errors) {
    if let (true, Some(span)) = (is_map(attrs), attrs.persist_key) {
        errors.at(
            span,
            "a map-mode message cannot be persisted: the log keeps a queue's order, not \
             entries replaced by key; remove `persist`, or leave out `mode = map`",
        );
    }
}

/// A byte bound counts the weight of the queued messages, so something must weigh them: a
/// `weight` function, or for a persisted queue the encoded length. `message` is how the
/// declaration names the message (`Self` on the derive).
fn byte_bound_needs_a_weight(attrs: &QueueAttrs, message: &str, errors: &mut Errors) {
    if let (Some(span), None, None) = (attrs.max_bytes_key, attrs.weight_key, attrs.persist_key) {
        errors.at(
            span,
            format!(
                "a byte bound needs a weight: add `{weight} = {message}::weight`, a \
                 `fn(&{message}) -> usize` (a persisted queue weighs a message by its encoded \
                 length without one)",
                weight = Key::Weight
            ),
        );
    }
}

/// Map mode replaces an entry by its key: it has no oldest message to evict and bounds
/// entries, not bytes.
fn map_mode_has_no_overflow_or_weight(attrs: &QueueAttrs, errors: &mut Errors) {
    let keys = [
        (attrs.overflow_key, Key::Overflow),
        (attrs.max_bytes_key, Key::MaxBytes),
        (attrs.weight_key, Key::Weight),
    ];
    for (span, key) in keys {
        if let Some(span) = span {
            errors.at(
                span,
                format!(
                    "`{key}` does not apply in map mode, which replaces entries by key, not by \
                     age or weight: a put of a new key into a full map is refused with `Full`; \
                     remove `{key}`"
                ),
            );
        }
    }
}

/// The queue `#[elasticq::queue]` declares is a plain type; the message carries generics.
fn declared_queue_is_not_generic(decl: &QueueDecl, errors: &mut Errors) {
    if !decl.item.generics.params.is_empty() {
        errors.spanned(
            &decl.item.generics,
            "a queue declared with `#[elasticq::queue]` takes no generic parameters; give the \
             message its arguments instead, e.g. `message = Event<u32>`",
        );
    }
}

fn message_is_a_type(decl: &QueueDecl, errors: &mut Errors) {
    if let Type::Infer(infer) = &decl.message {
        errors.at(
            infer.span(),
            "`message` must name a type, e.g. `message = Publish`",
        );
    }
}

/// `partitions = N` with N from 1 to the runtime's limit.
fn partitions_in_range(attrs: &QueueAttrs, errors: &mut Errors) {
    if let Some(Spanned {
        value: PartitionCount::Count(n),
        span,
    }) = &attrs.partitions
    {
        if *n == 0 {
            errors.at(
                *span,
                "`partitions` must be at least 1: a queue needs a partition to hold messages; \
                 write e.g. `partitions = 4`, or `partitions = auto` for one per core",
            );
        } else if *n > MAX_PARTITIONS {
            errors.at(
                *span,
                format!("`partitions` must not exceed {MAX_PARTITIONS}; write a smaller count"),
            );
        }
    }
}

/// `persist(segment_bytes = N)` with N within the log's limits (what
/// `PersistOptions::segment_bytes` accepts at run time).
fn segment_bytes_in_range(attrs: &QueueAttrs, errors: &mut Errors) {
    let Some(Spanned { value, span }) = &attrs.segment_bytes else {
        return;
    };
    if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(value) {
        errors.at(
            *span,
            format!(
                "`segment_bytes` must be between {} (4 KiB) and {} (1 GiB); the default is \
                 16_777_216 (16 MiB)",
                grouped(MIN_SEGMENT_BYTES),
                grouped(MAX_SEGMENT_BYTES)
            ),
        );
    }
}

/// `n` written as a Rust literal with `_` between groups of three digits.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(digit);
    }
    out
}

fn fair_pops_at_least_once(attrs: &QueueAttrs, errors: &mut Errors) {
    if let Some(fair) = &attrs.fair {
        if fair.value == 0 {
            errors.at(
                fair.span,
                "`max_consecutive` must be at least 1: a fair queue pops at least once from a \
                 level before turning to a lower one; write e.g. `fair(max_consecutive = 5)`",
            );
        }
    }
}

/// `priority(levels = N)` with N from 1 to the runtime's limit.
fn levels_in_range(message: &Message<'_>, errors: &mut Errors) {
    if let Some(priority) = &message.roles.priority {
        if let PriorityKind::Integer { levels } = &priority.kind {
            if levels.value == 0 {
                errors.at(
                    levels.span,
                    "`levels` must be at least 1: write the number of priority levels, e.g. \
                     `priority(levels = 3)` for levels 0, 1 and 2",
                );
            } else if levels.value > MAX_LEVELS {
                errors.at(
                    levels.span,
                    format!("`levels` must not exceed {MAX_LEVELS}"),
                );
            }
        }
    }
}

fn variant_levels_in_range(message: &Message<'_>, errors: &mut Errors) {
    for variant in &message.roles.variant_levels {
        if let Some(level) = &variant.level {
            if level.value >= MAX_LEVELS {
                errors.at(
                    level.span,
                    format!("a variant's level must be below {MAX_LEVELS}"),
                );
            }
        }
    }
}

/// `fair` shares pops between priority levels (map mode reports it on its own).
fn fair_needs_priority(message: &Message<'_>, errors: &mut Errors) {
    let roles = &message.roles;
    let has_priority = roles.priority.is_some() || !roles.variant_levels.is_empty();
    if let (Some(fair), false, false) =
        (message.attrs.fair_key, has_priority, is_map(&message.attrs))
    {
        errors.at(
            fair,
            "`fair` shares pops between priority levels, and this message has none: mark its \
             priority field with `#[elastic_queue(priority)]`, or remove `fair`",
        );
    }
}

fn one_partition_key(message: &Message<'_>, errors: &mut Errors) {
    if let (Some(_), Some(container)) = (&message.roles.partition_key, &message.attrs.partition_key)
    {
        errors.at(
            container.span,
            "two partition keys: a field is marked `#[elastic_queue(partition_key)]` and the \
             type says `partition_key = ...`; keep one of them",
        );
    }
}

/// Map mode keeps one entry per key field, so a map-mode message is a struct with one.
fn map_mode_has_a_key(message: &Message<'_>, errors: &mut Errors) {
    let Some(mode) = &message.attrs.mode else {
        return;
    };
    if message.is_enum {
        errors.at(
            mode.span,
            "map mode keeps one entry per key field, and an enum has no field to mark: \
             declare the message as a struct with a `#[elastic_queue(key)]` field",
        );
    } else if message.roles.key.is_none() {
        errors.at(
            mode.span,
            "map mode keeps one entry per key, and no field is the key: mark it with \
             `#[elastic_queue(key)]`",
        );
    }
}

/// Map mode has no priorities, routes by its key and has its own engine: the keys of those
/// layers do not apply.
fn map_mode_takes_no_queue_layers(message: &Message<'_>, errors: &mut Errors) {
    let (attrs, roles) = (&message.attrs, &message.roles);
    let map_rule = |what: &str| {
        format!("{what} does not apply in map mode, which keeps entries by key in first-insertion order")
    };
    if let Some(priority) = &roles.priority {
        errors.at(priority.field.span, map_rule("a priority"));
    }
    for variant in &roles.variant_levels {
        if let Some(level) = &variant.level {
            errors.at(level.span, map_rule("a variant's priority"));
        }
    }
    if let Some(field) = &roles.partition_key {
        errors.at(
            field.span,
            "map mode partitions by the `key` field; remove `partition_key`",
        );
    }
    if let Some(key) = &attrs.partition_key {
        errors.at(
            key.span,
            "map mode partitions by the `key` field; remove `partition_key`",
        );
    }
    if let Some(engine) = &attrs.engine {
        errors.at(
            engine.span,
            "map mode keeps each partition's entries in a map under its own lock; `engine` \
             does not apply: remove it",
        );
    }
    if let Some(fair) = attrs.fair_key {
        errors.at(fair, map_rule("`fair`"));
    }
}

fn key_and_version_need_map_mode(message: &Message<'_>, errors: &mut Errors) {
    let (attrs, roles) = (&message.attrs, &message.roles);
    for (field, key) in [(&roles.key, Key::MapKey), (&roles.version, Key::Version)] {
        if let Some(field) = field {
            let fix = if attrs.mode.is_some() {
                "change `mode = queue` to `mode = map`"
            } else {
                "add `#[elastic_queue(mode = map)]` to the type"
            };
            errors.at(
                field.span,
                format!("`{key}` marks a field of a map-mode message: {fix}, or remove the mark"),
            );
        }
    }
}

/// The runtime [`Config`] a declaration asks for, with unset values at their defaults.
pub(crate) fn config(attrs: &QueueAttrs) -> Config {
    let mut config = Config::new();
    if let Some(initial) = &attrs.initial {
        config = config.initial_capacity(initial.value);
    }
    if let Some(min) = &attrs.min {
        config = config.min_capacity(min.value);
    }
    if let Some(max) = &attrs.max {
        config = config.max_capacity(max.value);
    }
    if let Some(factor) = &attrs.growth_factor {
        config = config.growth_factor(factor.value);
    }
    if let Some(ratio) = &attrs.shrink_threshold {
        config = config.shrink_threshold(ratio.value);
    }
    match attrs.partitions.as_ref().map(|p| p.value) {
        Some(PartitionCount::Count(n)) => config = config.partitions(n),
        Some(PartitionCount::Auto) => config = config.auto_partitions(),
        None => {}
    }
    if let Some(fair) = &attrs.fair {
        config = config.fairness(Fairness::Fair {
            max_consecutive: fair.value,
        });
    }
    if let Some(overflow) = &attrs.overflow {
        config = config.overflow(match overflow.value {
            OverflowKind::Reject => Overflow::Reject,
            OverflowKind::DropOldest => Overflow::DropOldest,
        });
    }
    if let Some(max_bytes) = &attrs.max_bytes {
        config = config.max_bytes(max_bytes.value);
    }
    config
}

/// The capacity rules of [`Config::validate`], each reported on the value at fault. A value
/// the user did not write is at its default, and the defaults never break a rule on their
/// own, so every broken rule has a written value to point at.
fn sizes(attrs: &QueueAttrs, errors: &mut Errors) {
    let config = config(attrs);
    let (initial, min, max) = (
        config.get_initial_capacity(),
        config.get_min_capacity(),
        config.get_max_capacity(),
    );
    let at =
        |value: &Option<Spanned<usize>>| value.as_ref().map_or_else(Span::call_site, |v| v.span);
    let mut problems: Vec<(Span, String)> = Vec::new();
    let mut report = |span: Span, message: String| problems.push((span, message));
    if max == 0 {
        report(
            at(&attrs.max),
            "`max` must be at least 1: a queue of capacity 0 could never hold a message; write \
             e.g. `max = 1024`"
                .to_owned(),
        );
    } else if max > MAX_CAPACITY {
        report(
            at(&attrs.max),
            format!(
                "`max` must not exceed elasticq::MAX_CAPACITY (2^40 = {MAX_CAPACITY}); write \
                 `max = 1_099_511_627_776` or less"
            ),
        );
    } else if min == 0 {
        // An unset `min` follows `initial` down, so `initial = 0` is the value at fault then.
        let (span, message) = match (&attrs.min, &attrs.initial) {
            (None, Some(initial)) => (
                initial.span,
                "`initial` must be at least 1: a queue starts with at least one slot; write \
                 e.g. `initial = 1024`",
            ),
            _ => (
                at(&attrs.min),
                "`min` must be at least 1: a queue never shrinks below one slot; write e.g. \
                 `min = 16`",
            ),
        };
        report(span, message.to_owned());
    } else if min > max {
        report(
            at(&attrs.min),
            format!("`min` ({min}) exceeds `max` ({max}): lower `min` or raise `max`"),
        );
    } else if initial > max {
        report(
            at(&attrs.initial),
            format!(
                "`initial` ({initial}) exceeds `max` ({max}): the queue would start above its \
                 maximum; write `initial = {max}` or less, or raise `max`"
            ),
        );
    } else if initial == 0 {
        report(
            at(&attrs.initial),
            "`initial` must be at least 1: a queue starts with at least one slot; write e.g. \
             `initial = 1024`"
                .to_owned(),
        );
    } else if min > initial {
        report(
            at(&attrs.min),
            format!(
                "`min` ({min}) exceeds `initial` ({initial}): the queue would start below its \
                 minimum; write `min = {initial}` or less, or raise `initial`"
            ),
        );
    }
    if let Some(max_bytes) = attrs.max_bytes.as_ref().filter(|bound| bound.value == 0) {
        report(
            max_bytes.span,
            "`max_bytes` must be at least 1: a lane bounded to 0 bytes could never hold a \
             message; write e.g. `max_bytes = 1_048_576`"
                .to_owned(),
        );
    }
    if let Some(factor) = &attrs.growth_factor {
        if !(factor.value.is_finite() && factor.value > 1.0) {
            report(
                factor.span,
                "`growth_factor` must be greater than 1: a full queue multiplies its capacity \
                 by it; write e.g. `growth_factor = 2.0`"
                    .to_owned(),
            );
        }
    }
    if let Some(ratio) = &attrs.shrink_threshold {
        if !(ratio.value > 0.0 && ratio.value < 1.0) {
            report(
                ratio.span,
                "`shrink_threshold` must be strictly between 0 and 1: a queue shrinks when it \
                 holds at most that fraction of its capacity; write e.g. `shrink_threshold = 0.25`"
                    .to_owned(),
            );
        }
    }
    // The rules above mirror `Config::validate`; should they ever drift apart, the runtime's
    // verdict still stops the build rather than a `new()` failing at run time.
    // `partitions` and `fair` are checked by `layers`, on their own tokens.
    if problems.is_empty() {
        if let Err(error) = config.validate() {
            let layered = matches!(
                error,
                elasticq_runtime::Error::InvalidConfig { field, .. }
                    if field == Key::Partitions.name() || field == Key::MaxConsecutive.name()
            );
            if !layered {
                problems.push((Span::call_site(), error.to_string()));
            }
        }
    }
    for (span, message) in problems {
        errors.at(span, message);
    }
}
