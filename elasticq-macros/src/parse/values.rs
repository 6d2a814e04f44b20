//! The value parsers of the queue's keys: `engine`, `capacity(...)`, `overflow`, `weight`,
//! `partitions`, `fair(...)`, `partition_key` on the type, `mode`, `metrics`, `name`, `crate`
//! and `message`. Each returns `None` for a value it reported as invalid.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Path, Token, Type};

use crate::errors::Errors;
use crate::parse::attr::{
    ContainerKey, EngineKind, Mode, OverflowKind, PartitionCount, QueueAttrs,
};
use crate::parse::keys::{Key, Site};
use crate::parse::read::{empty_parens, parse_usize, quoted, set, skip_value, value_of, Spanned};
use crate::parse::suggest::{nearest, one_of};

const MODES: &[&str] = &["queue", "map"];

/// The names a key takes, for the error about a name that is none of them.
struct Names {
    /// What one name is, with its article: "an engine".
    one: &'static str,
    /// What the names are: "engines".
    all: &'static str,
    names: &'static [&'static str],
    /// Said after the names when the written one is unknown.
    meaning: &'static str,
    /// Said after the names when no name was written.
    example: &'static str,
}

const ENGINE_NAMES: Names = Names {
    one: "an engine",
    all: "engines",
    names: &["lock_free", "locked"],
    meaning: "",
    example: "",
};

const OVERFLOW_NAMES: Names = Names {
    one: "an overflow policy",
    all: "policies",
    names: &["reject", "drop_oldest"],
    meaning: " (`reject`, the default, refuses a push into a full lane with `Full`; \
              `drop_oldest` evicts the lane's oldest message to take it)",
    example: ", e.g. `overflow = drop_oldest`",
};

impl Names {
    /// The value of the name `written` (`values` are in the order of the names), spanned on
    /// `expr`; `None`, reported, for a name that is none of them.
    fn pick<T: Copy>(
        &self,
        expr: &Expr,
        written: Option<&str>,
        values: &[T],
        errors: &mut Errors,
    ) -> Option<Spanned<T>> {
        let found = written
            .and_then(|written| self.names.iter().position(|name| *name == written))
            .map(|index| values[index]);
        if found.is_none() {
            self.report(expr, written, errors);
        }
        found.map(|value| Spanned {
            value,
            span: expr.span(),
        })
    }

    /// Reports `expr`, which is the name `written` (unknown) or no name at all.
    fn report(&self, expr: &Expr, written: Option<&str>, errors: &mut Errors) {
        let names = one_of(self.names);
        let message = match written {
            Some(other) => {
                let hint = nearest(other, self.names)
                    .map(|near| format!("did you mean `{near}`? "))
                    .unwrap_or_default();
                let what = self.one.split_once(' ').map_or(self.one, |(_, what)| what);
                format!(
                    "unknown {what} `{other}`; {hint}the {} are {names}{}",
                    self.all, self.meaning
                )
            }
            None => format!("expected {}: {names}{}", self.one, self.example),
        };
        errors.spanned(expr, message);
    }
}

pub(super) fn engine(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<EngineKind>>> {
    let Some(input) = value_of(meta, Key::Engine, "engine = lock_free", errors)? else {
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
    let kinds = [EngineKind::LockFree, EngineKind::Locked];
    Ok(ENGINE_NAMES.pick(&expr, written.as_deref(), &kinds, errors))
}

pub(super) fn capacity(
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
        let capacity_keys = Site::Capacity.keys();
        let Some(written) = inner.path.get_ident().map(Ident::to_string) else {
            errors.at(
                inner.path.span(),
                format!("expected {}", one_of(&capacity_keys)),
            );
            return skip_value(&inner);
        };
        let span = inner.path.span();
        let (key, slot) = match Key::at(Site::Capacity, &written) {
            Some(key @ Key::Initial) => (key, &mut attrs.initial),
            Some(key @ Key::Min) => (key, &mut attrs.min),
            Some(key @ Key::Max) => (key, &mut attrs.max),
            Some(key @ Key::MaxBytes) => {
                attrs.max_bytes_key.get_or_insert(span);
                (key, &mut attrs.max_bytes)
            }
            _ => {
                let key = written;
                let queue_key =
                    Key::at(Site::Container, &key).or_else(|| Key::at(Site::QueueArgs, &key));
                let hint = match (nearest(&key, &capacity_keys), queue_key) {
                    (Some(near), _) => format!("did you mean `{near}`? "),
                    (None, Some(other)) if other != Key::Capacity => format!(
                        "`{other}` is not a size: write it beside `capacity(...)`, not inside; "
                    ),
                    (None, _) => String::new(),
                };
                errors.at(
                    span,
                    format!(
                        "unknown capacity key `{key}`; {hint}`capacity(...)` takes {}",
                        one_of(&capacity_keys)
                    ),
                );
                return skip_value(&inner);
            }
        };
        let (example, what) = if key == Key::MaxBytes {
            (
                "max_bytes = 1_048_576".to_owned(),
                "a whole number of bytes",
            )
        } else {
            (format!("{key} = 1024"), "a whole number of messages")
        };
        let value = parse_usize(&inner, key, &example, what, errors)?;
        set(slot, value, key, span, errors);
        Ok(())
    })
}

/// `overflow = reject | drop_oldest`.
pub(super) fn overflow(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<OverflowKind>>> {
    let Some((expr, written)) = a_name(meta, Key::Overflow, "overflow = drop_oldest", errors)?
    else {
        return Ok(None);
    };
    let kinds = [OverflowKind::Reject, OverflowKind::DropOldest];
    Ok(OVERFLOW_NAMES.pick(&expr, written.as_deref(), &kinds, errors))
}

/// `weight = path`: the path of a `fn(&Message) -> usize`.
pub(super) fn weight(
    meta: &ParseNestedMeta<'_>,
    site: Site,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<Path>>> {
    let example = match site {
        Site::QueueArgs => "weight = M::weight",
        _ => "weight = Self::weight",
    };
    let Some(input) = value_of(meta, Key::Weight, example, errors)? else {
        return Ok(None);
    };
    if quoted(input, Key::Weight, "function path", errors)? {
        return Ok(None);
    }
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Path(ExprPath {
            path, qself: None, ..
        }) => Ok(Some(Spanned {
            span: path.span(),
            value: path,
        })),
        other => {
            let shape = match site {
                Site::QueueArgs => {
                    "a `fn(&M) -> usize` for `message = M`: write e.g. `weight = M::weight`"
                }
                _ => "a `fn(&Self) -> usize`: write `weight = Self::weight`",
            };
            errors.spanned(
                &other,
                format!(
                    "`weight` is the path of the function that weighs a message, {shape} \
                     (a closure or an expression cannot be named here)"
                ),
            );
            Ok(None)
        }
    }
}

pub(super) fn partitions(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<PartitionCount>>> {
    let example = "partitions = 4";
    let Some(input) = value_of(meta, Key::Partitions, example, errors)? else {
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

pub(super) fn fair(
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
        if !Key::MaxConsecutive.is(&inner.path) {
            errors.at(
                inner.path.span(),
                format!("`fair(...)` takes one key, `max_consecutive`: write {EXAMPLE}"),
            );
            return skip_value(&inner);
        }
        let value = parse_usize(
            &inner,
            Key::MaxConsecutive,
            "fair(max_consecutive = 5)",
            "a whole number of pops",
            errors,
        )?;
        set(
            &mut found,
            value,
            Key::MaxConsecutive,
            inner.path.span(),
            errors,
        );
        Ok(())
    })?;
    Ok(found)
}

pub(super) fn container_key(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<ContainerKey>>> {
    let example = "partition_key = Self::route";
    let Some(input) = value_of(meta, Key::PartitionKey, example, errors)? else {
        return Ok(None);
    };
    if input.peek(Token![self]) {
        let token: Token![self] = input.parse()?;
        return Ok(Some(Spanned {
            value: ContainerKey::Whole,
            span: token.span,
        }));
    }
    if quoted(input, Key::PartitionKey, "function path", errors)? {
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

pub(super) fn mode(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<Mode>>> {
    let Some((expr, written)) = a_name(meta, Key::Mode, "mode = map", errors)? else {
        return Ok(None);
    };
    let mode = match written.as_deref() {
        Some("map") => Some(Mode::Map),
        Some("queue") => Some(Mode::Queue),
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

/// The value of a `key = name` key: the expression, and the name if it is a plain
/// identifier. `None` when there is no value, or it is a string (both reported).
fn a_name(
    meta: &ParseNestedMeta<'_>,
    key: Key,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<(Expr, Option<String>)>> {
    let Some(input) = value_of(meta, key, example, errors)? else {
        return Ok(None);
    };
    if quoted(input, key, "name", errors)? {
        return Ok(None);
    }
    let expr: Expr = input.parse()?;
    let written = match &expr {
        Expr::Path(ExprPath { path, .. }) => path.get_ident().map(Ident::to_string),
        _ => None,
    };
    Ok(Some((expr, written)))
}

/// `metrics = "label"`: a string literal, not empty (it is the `queue` label of every series).
pub(super) fn metrics(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let Some(input) = value_of(meta, Key::Metrics, "metrics = \"orders\"", errors)? else {
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

pub(super) fn name(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Ident>> {
    let Some(input) = value_of(meta, Key::Name, "name = AuditQueue", errors)? else {
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

pub(super) fn crate_path(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Path>> {
    let Some(input) = value_of(meta, Key::Crate, "crate = ::elasticq", errors)? else {
        return Ok(None);
    };
    if quoted(input, Key::Crate, "path", errors)? {
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

pub(super) fn message(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Type>> {
    let Some(input) = value_of(meta, Key::Message, "message = Publish", errors)? else {
        return Ok(None);
    };
    if quoted(input, Key::Message, "type", errors)? {
        return Ok(None);
    }
    input.parse::<Type>().map(Some)
}
