//! Semantic rules a declaration must keep, checked before any code is generated. Every
//! broken rule is reported, each on the token at fault, with what to write instead.

use elasticq_runtime::{Config, MAX_CAPACITY};
use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{GenericParam, Type};

use crate::ast::{Message, QueueDecl};
use crate::attr::{QueueAttrs, Spanned};
use crate::errors::Errors;

pub(crate) fn message(message: &Message<'_>, errors: &mut Errors) {
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
    sizes(&message.attrs, errors);
}

pub(crate) fn queue_decl(decl: &QueueDecl, errors: &mut Errors) {
    if !decl.item.generics.params.is_empty() {
        errors.spanned(
            &decl.item.generics,
            "a queue declared with `#[elasticq::queue]` takes no generic parameters; give the \
             message its arguments instead, e.g. `message = Event<u32>`",
        );
    }
    if let Type::Infer(infer) = &decl.message {
        errors.at(
            infer.span(),
            "`message` must name a type, e.g. `message = Publish`",
        );
    }
    sizes(&decl.attrs, errors);
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
    if problems.is_empty() {
        if let Err(error) = config.validate() {
            problems.push((Span::call_site(), error.to_string()));
        }
    }
    for (span, message) in problems {
        errors.at(span, message);
    }
}
