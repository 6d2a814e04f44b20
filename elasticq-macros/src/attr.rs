//! The `#[elastic_queue(...)]` keys, parsed with their spans.
//!
//! One parser serves the derive's container attribute and the arguments of
//! `#[elasticq::queue(...)]`; [`Site`] says which keys each accepts. A key with a bad value
//! is reported and skipped so that parsing goes on and every mistake is reported at once.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprPath, ExprUnary, Ident, Lit, LitStr, Path, Token, Type, UnOp};

use crate::errors::Errors;
use crate::persist_keys::{parse_codec, parse_persist, CodecKind, SyncKind};
use crate::suggest::{nearest, one_of};

/// Where the keys are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// `#[elastic_queue(...)]` on a type deriving `ElasticQueue`.
    Derive,
    /// `#[elasticq::queue(...)]` on a unit struct.
    QueueAttribute,
}

impl Site {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Site::Derive => &[
                "engine",
                "capacity",
                "growth_factor",
                "shrink_threshold",
                "partitions",
                "fair",
                "partition_key",
                "mode",
                "persist",
                "codec",
                "metrics",
                "name",
                "crate",
            ],
            Site::QueueAttribute => &[
                "message",
                "engine",
                "capacity",
                "growth_factor",
                "shrink_threshold",
                "partitions",
                "fair",
                "persist",
                "metrics",
                "crate",
            ],
        }
    }
}

const CAPACITY_KEYS: &[&str] = &["initial", "min", "max"];
const ENGINES: &[&str] = &["lock_free", "locked"];
const MODES: &[&str] = &["queue", "map"];

/// A value and the span of the tokens it was written with.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

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
    pub(crate) codec: Option<Spanned<CodecKind>>,
    /// `metrics = "label"`: the queue's label in every series.
    pub(crate) metrics: Option<LitStr>,
    pub(crate) name: Option<Ident>,
    pub(crate) krate: Option<Path>,
    pub(crate) message: Option<Type>,
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
    let Some(key) = meta.path.get_ident().map(Ident::to_string) else {
        errors.at(
            meta.path.span(),
            format!("expected a key: one of {}", one_of(site.keys())),
        );
        return skip_value(meta);
    };
    let span = meta.path.span();
    if !site.keys().contains(&key.as_str()) {
        errors.at(span, unknown_key(&key, site));
        return skip_value(meta);
    }
    match key.as_str() {
        "engine" => {
            let value = parse_engine(meta, errors)?;
            set(&mut attrs.engine, value, &key, span, errors);
        }
        "capacity" => parse_capacity(meta, attrs, errors)?,
        "growth_factor" => {
            let value = parse_float(meta, &key, "growth_factor = 2.0", errors)?;
            set(&mut attrs.growth_factor, value, &key, span, errors);
        }
        "shrink_threshold" => {
            let value = parse_float(meta, &key, "shrink_threshold = 0.25", errors)?;
            set(&mut attrs.shrink_threshold, value, &key, span, errors);
        }
        "partitions" => {
            let value = parse_partitions(meta, errors)?;
            set(&mut attrs.partitions, value, &key, span, errors);
        }
        "fair" => {
            let value = parse_fair(meta, errors)?;
            attrs.fair_key.get_or_insert(span);
            set(&mut attrs.fair, value, &key, span, errors);
        }
        "partition_key" => {
            let value = parse_container_key(meta, errors)?;
            set(&mut attrs.partition_key, value, &key, span, errors);
        }
        "mode" => {
            let value = parse_mode(meta, errors)?;
            set(&mut attrs.mode, value, &key, span, errors);
        }
        "persist" => {
            let value = parse_persist(meta, errors)?;
            attrs.persist_key.get_or_insert(span);
            set(&mut attrs.persist, value, &key, span, errors);
        }
        "codec" => {
            let value = parse_codec(meta, errors)?;
            set(&mut attrs.codec, value, &key, span, errors);
        }
        "metrics" => {
            let value = parse_metrics(meta, errors)?;
            set(&mut attrs.metrics, value, &key, span, errors);
        }
        "name" => {
            let value = parse_name(meta, errors)?;
            set(&mut attrs.name, value, &key, span, errors);
        }
        "crate" => {
            let value = parse_crate_path(meta, errors)?;
            set(&mut attrs.krate, value, &key, span, errors);
        }
        "message" => {
            attrs.message_written = true;
            let value = parse_message(meta, errors)?;
            set(&mut attrs.message, value, &key, span, errors);
        }
        _ => unreachable!("every key of Site::keys is handled above"),
    }
    Ok(())
}

fn unknown_key(key: &str, site: Site) -> String {
    let mut message = format!("unknown key `{key}`");
    if let Some(near) = nearest(key, site.keys()) {
        message += &format!("; did you mean `{near}`?");
    } else {
        match (site, key) {
            (Site::Derive, "message") => {
                message += "; `message` belongs to `#[elasticq::queue(message = ...)]`, which \
                            declares another queue for a message that derives ElasticQueue";
            }
            (Site::QueueAttribute, "name") => {
                message += "; the queue takes the name of the struct the attribute is on";
            }
            (Site::QueueAttribute, "partition_key" | "mode" | "codec") => {
                message += "; it belongs on the message: `#[elastic_queue(...)]` on the type \
                            deriving ElasticQueue, whose queues all share it";
            }
            _ => message += &format!("; expected one of {}", one_of(site.keys())),
        }
    }
    message
}

/// Stores `value` unless the key was already given, which is reported on the second one.
pub(crate) fn set<T>(
    slot: &mut Option<T>,
    value: Option<T>,
    key: &str,
    span: Span,
    errors: &mut Errors,
) {
    let Some(value) = value else {
        return;
    };
    if slot.is_some() {
        errors.at(
            span,
            format!("duplicate key `{key}`: it is already set above; keep one of them"),
        );
    } else {
        *slot = Some(value);
    }
}

/// Consumes whatever value follows a key that could not be used: `= expr` or `(...)`.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<proc_macro2::TokenStream>()?;
    }
    Ok(())
}

/// The stream after `key =`, or `None` (reported) when the key has no `=`.
pub(crate) fn value_of<'a>(
    meta: &'a ParseNestedMeta<'a>,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<ParseStream<'a>>> {
    if meta.input.peek(Token![=]) {
        return meta.value().map(Some);
    }
    errors.at(
        meta.path.span(),
        format!("`{key}` needs a value: write `{example}`"),
    );
    skip_value(meta)?;
    Ok(None)
}

fn parse_engine(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<EngineKind>>> {
    let Some(input) = value_of(meta, "engine", "engine = lock_free", errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    let written = match &expr {
        Expr::Path(ExprPath { path, .. }) if path.get_ident().is_some() => {
            path.get_ident().map(Ident::to_string)
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            errors.spanned(
                &expr,
                format!(
                    "the engine is a name, not a string: write `engine = {}`",
                    s.value()
                ),
            );
            return Ok(None);
        }
        _ => None,
    };
    let kind = match written.as_deref() {
        Some("lock_free") => EngineKind::LockFree,
        Some("locked") => EngineKind::Locked,
        Some(other) => {
            let hint = nearest(other, ENGINES)
                .map(|near| format!("did you mean `{near}`? "))
                .unwrap_or_default();
            errors.spanned(
                &expr,
                format!(
                    "unknown engine `{other}`; {hint}the engines are {}",
                    one_of(ENGINES)
                ),
            );
            return Ok(None);
        }
        None => {
            errors.spanned(&expr, format!("expected an engine: {}", one_of(ENGINES)));
            return Ok(None);
        }
    };
    Ok(Some(Spanned {
        value: kind,
        span: expr.span(),
    }))
}

fn parse_capacity(
    meta: &ParseNestedMeta<'_>,
    attrs: &mut QueueAttrs,
    errors: &mut Errors,
) -> syn::Result<()> {
    if !meta.input.peek(syn::token::Paren) {
        errors.at(
            meta.path.span(),
            "`capacity` takes a list: write `capacity(initial = 1024, min = 256, max = 1_048_576)`",
        );
        return skip_value(meta);
    }
    if let Some(parens) = empty_parens(meta)? {
        errors.at(
            parens,
            "`capacity()` is empty: write the sizes to set, e.g. \
             `capacity(initial = 1024, max = 65_536)`, or leave `capacity` out for the defaults",
        );
        return Ok(());
    }
    meta.parse_nested_meta(|inner| {
        let Some(key) = inner.path.get_ident().map(Ident::to_string) else {
            errors.at(
                inner.path.span(),
                format!("expected {}", one_of(CAPACITY_KEYS)),
            );
            return skip_value(&inner);
        };
        let span = inner.path.span();
        let slot = match key.as_str() {
            "initial" => &mut attrs.initial,
            "min" => &mut attrs.min,
            "max" => &mut attrs.max,
            _ => {
                let hint = nearest(&key, CAPACITY_KEYS)
                    .map(|near| format!("did you mean `{near}`? "))
                    .unwrap_or_default();
                errors.at(
                    span,
                    format!(
                        "unknown capacity key `{key}`; {hint}`capacity(...)` takes {}",
                        one_of(CAPACITY_KEYS)
                    ),
                );
                return skip_value(&inner);
            }
        };
        let value = parse_int(&inner, &key, errors)?;
        set(slot, value, &key, span, errors);
        Ok(())
    })
}

fn parse_partitions(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<PartitionCount>>> {
    let example = "partitions = 4";
    let Some(input) = value_of(meta, "partitions", example, errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    let parsed = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<usize>().ok().map(PartitionCount::Count),
        Expr::Path(ExprPath { path, .. }) if path.is_ident("auto") => Some(PartitionCount::Auto),
        _ => None,
    };
    if parsed.is_none() {
        errors.spanned(
            &expr,
            "`partitions` takes a whole number written as a literal, or `auto` for one per \
             available core: `partitions = 4` or `partitions = auto`",
        );
    }
    Ok(parsed.map(|value| Spanned {
        value,
        span: expr.span(),
    }))
}

fn parse_fair(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<usize>>> {
    const EXAMPLE: &str = "`fair(max_consecutive = 5)`";
    if !meta.input.peek(syn::token::Paren) {
        errors.at(
            meta.path.span(),
            format!(
                "`fair` takes the longest run of pops from one level while a lower level \
                 waits: write {EXAMPLE}"
            ),
        );
        return skip_value(meta).map(|()| None);
    }
    if let Some(parens) = empty_parens(meta)? {
        errors.at(
            parens,
            format!("`fair()` is empty: write {EXAMPLE}, or leave `fair` out for strict priority"),
        );
        return Ok(None);
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        if !inner.path.is_ident("max_consecutive") {
            errors.at(
                inner.path.span(),
                format!("`fair(...)` takes one key, `max_consecutive`: write {EXAMPLE}"),
            );
            return skip_value(&inner);
        }
        let value = parse_usize(
            &inner,
            "max_consecutive",
            "fair(max_consecutive = 5)",
            "a whole number of pops",
            errors,
        )?;
        set(
            &mut found,
            value,
            "max_consecutive",
            inner.path.span(),
            errors,
        );
        Ok(())
    })?;
    Ok(found)
}

/// Consumes `()` after a key and returns its span, when the parentheses are empty: syn's
/// nested-meta parser would only say "unexpected end of input" there.
pub(crate) fn empty_parens(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Span>> {
    let fork = meta.input.fork();
    let content;
    syn::parenthesized!(content in fork);
    if !content.is_empty() {
        return Ok(None);
    }
    let _empty;
    let parens = syn::parenthesized!(_empty in meta.input);
    Ok(Some(parens.span.join()))
}

fn parse_container_key(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<ContainerKey>>> {
    let example = "partition_key = Self::route";
    let Some(input) = value_of(meta, "partition_key", example, errors)? else {
        return Ok(None);
    };
    if input.peek(Token![self]) {
        let token: Token![self] = input.parse()?;
        return Ok(Some(Spanned {
            value: ContainerKey::Whole,
            span: token.span,
        }));
    }
    if quoted(input, "partition_key", "function path", errors)? {
        return Ok(None);
    }
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Path(ExprPath {
            path, qself: None, ..
        }) => Ok(Some(Spanned {
            span: path.span(),
            value: ContainerKey::Function(path),
        })),
        other => {
            errors.spanned(
                &other,
                "`partition_key` on the type is `self` (route by the whole message) or the path \
                 of a `fn(&Self) -> K`: write `partition_key = Self::route`",
            );
            Ok(None)
        }
    }
}

fn parse_mode(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<Mode>>> {
    let Some(input) = value_of(meta, "mode", "mode = map", errors)? else {
        return Ok(None);
    };
    if quoted(input, "mode", "name", errors)? {
        return Ok(None);
    }
    let expr: Expr = input.parse()?;
    let mode = match &expr {
        Expr::Path(ExprPath { path, .. }) if path.is_ident("map") => Some(Mode::Map),
        Expr::Path(ExprPath { path, .. }) if path.is_ident("queue") => Some(Mode::Queue),
        _ => None,
    };
    if mode.is_none() {
        errors.spanned(
            &expr,
            format!("unknown mode; the modes are {}", one_of(MODES)),
        );
    }
    Ok(mode.map(|value| Spanned {
        value,
        span: expr.span(),
    }))
}

fn parse_int(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<usize>>> {
    let example = format!("{key} = 1024");
    parse_usize(meta, key, &example, "a whole number of messages", errors)
}

/// `key = N` with `N` a `usize` literal; `what` says what the number counts, for the error.
pub(crate) fn parse_usize(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
    what: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<usize>>> {
    let Some(input) = value_of(meta, key, example, errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    let parsed = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<usize>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        errors.spanned(
            &expr,
            format!("`{key}` takes {what}, written as a literal: `{example}`"),
        );
    }
    Ok(parsed.map(|value| Spanned {
        value,
        span: expr.span(),
    }))
}

fn parse_float(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<f64>>> {
    let Some(input) = value_of(meta, key, example, errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    let parsed = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => float.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<f64>().ok(),
        // A negative number is a number: the range check reports it with the valid range.
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit {
                lit: Lit::Float(float),
                ..
            }) => float.base10_parse::<f64>().ok().map(|v| -v),
            Expr::Lit(ExprLit {
                lit: Lit::Int(int), ..
            }) => int.base10_parse::<f64>().ok().map(|v| -v),
            _ => None,
        },
        _ => None,
    };
    if parsed.is_none() {
        errors.spanned(
            &expr,
            format!("`{key}` takes a number written as a literal: `{example}`"),
        );
    }
    Ok(parsed.map(|value| Spanned {
        value,
        span: expr.span(),
    }))
}

/// `metrics = "label"`: a string literal, not empty (it is the `queue` label of every series).
fn parse_metrics(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<LitStr>> {
    let Some(input) = value_of(meta, "metrics", "metrics = \"orders\"", errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(label),
            ..
        }) if !label.value().trim().is_empty() => Ok(Some(label.clone())),
        Expr::Lit(ExprLit {
            lit: Lit::Str(label),
            ..
        }) => {
            errors.at(
                label.span(),
                "`metrics` needs a label to tell this queue's series apart: write e.g. `metrics = \"orders\"`",
            );
            Ok(None)
        }
        Expr::Path(ExprPath { path, .. }) if path.get_ident().is_some() => {
            let name = path.get_ident().map(Ident::to_string).unwrap_or_default();
            errors.spanned(
                &expr,
                format!("`metrics` takes the label as a string: write `metrics = \"{name}\"`"),
            );
            Ok(None)
        }
        _ => {
            errors.spanned(
                &expr,
                "`metrics` takes the label as a string literal: write e.g. `metrics = \"orders\"`",
            );
            Ok(None)
        }
    }
}

fn parse_name(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Ident>> {
    let Some(input) = value_of(meta, "name", "name = AuditQueue", errors)? else {
        return Ok(None);
    };
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let text = lit.value();
        let advice = if syn::parse_str::<Ident>(&text).is_ok() {
            format!("write `name = {text}`")
        } else {
            "write a type name such as `name = AuditQueue`".to_owned()
        };
        errors.at(
            lit.span(),
            format!("`name` is an identifier, not a string: {advice}"),
        );
        return Ok(None);
    }
    let expr: Expr = input.parse()?;
    match &expr {
        Expr::Path(ExprPath { path, .. }) if path.get_ident().is_some() => {
            Ok(path.get_ident().cloned())
        }
        _ => {
            errors.spanned(
                &expr,
                "`name` is the generated type's identifier: write e.g. `name = AuditQueue`",
            );
            Ok(None)
        }
    }
}

pub(crate) fn parse_crate_path(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Path>> {
    let Some(input) = value_of(meta, "crate", "crate = ::elasticq", errors)? else {
        return Ok(None);
    };
    if quoted(input, "crate", "path", errors)? {
        return Ok(None);
    }
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Path(ExprPath {
            path, qself: None, ..
        }) => Ok(Some(path)),
        other => {
            errors.spanned(
                &other,
                "`crate` is the path elasticq is reachable at: write e.g. `crate = ::my_queues`",
            );
            Ok(None)
        }
    }
}

fn parse_message(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Type>> {
    let Some(input) = value_of(meta, "message", "message = Publish", errors)? else {
        return Ok(None);
    };
    if quoted(input, "message", "type", errors)? {
        return Ok(None);
    }
    input.parse::<Type>().map(Some)
}

/// Reports (and consumes) a string literal where `key` wants a `what` written as code:
/// `crate = "x"` for `crate = x`. Returns whether there was one.
fn quoted(input: ParseStream<'_>, key: &str, what: &str, errors: &mut Errors) -> syn::Result<bool> {
    if !input.peek(LitStr) {
        return Ok(false);
    }
    let lit: LitStr = input.parse()?;
    errors.at(
        lit.span(),
        format!(
            "`{key}` is a {what}, not a string: write `{key} = {}`",
            lit.value()
        ),
    );
    Ok(true)
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
    for attribute in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("elastic_queue"))
    {
        let parsed = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                krate = parse_crate_path(&meta, errors)?;
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
