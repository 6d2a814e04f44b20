//! The persistence keys: `persist(sync = none | every_write | periodic(ms = N),
//! segment_bytes = N)` and `codec = serde`.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprPath};

use crate::errors::Errors;
use crate::parse::keys::Key;
use crate::parse::read::{empty_parens, parse_int, set, skip_value, value_of, Spanned};
use crate::parse::suggest::one_of;

/// When a persisted queue syncs its log.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncKind {
    None,
    EveryWrite,
    Periodic { ms: u64 },
}

/// How a persisted message is encoded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodecKind {
    /// Through serde (`Serialize + DeserializeOwned`), with elasticq's `serde` feature.
    Serde,
}

const EXAMPLE: &str = "`persist(sync = every_write)`";
const POLICIES: &[&str] = &["none", "every_write", "periodic(ms = N)"];
const SEGMENT_EXAMPLE: &str = "segment_bytes = 16_777_216";

/// What `persist(...)` declares.
pub(crate) struct Persist {
    /// The sync policy (`every_write` when not written); `None` after a mistake.
    pub(crate) sync: Option<Spanned<SyncKind>>,
    /// The segment size, when written.
    pub(crate) segment_bytes: Option<Spanned<u64>>,
}

/// `persist`, `persist(sync = ..., segment_bytes = N)`.
pub(crate) fn parse_persist(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Persist> {
    let key_span = meta.path.span();
    let mut persist = Persist {
        sync: None,
        segment_bytes: None,
    };
    if meta.input.peek(syn::Token![=]) {
        errors.at(
            key_span,
            format!("`persist` takes its policy in parentheses: write {EXAMPLE}"),
        );
        return skip_value(meta).map(|()| persist);
    }
    let every_write = Spanned {
        value: SyncKind::EveryWrite,
        span: key_span,
    };
    if !meta.input.peek(syn::token::Paren) {
        persist.sync = Some(every_write);
        return Ok(persist);
    }
    if let Some(parens) = empty_parens(meta)? {
        errors.at(
            parens,
            format!(
                "`persist()` is empty: write {EXAMPLE} (the policies are {}), or \
                 `persist` alone for `every_write`",
                one_of(POLICIES)
            ),
        );
        return Ok(persist);
    }
    let mut sync = None;
    let mut failed = false;
    meta.parse_nested_meta(|inner| {
        if Key::Sync.is(&inner.path) {
            let value = parse_sync(&inner, errors)?;
            failed |= value.is_none();
            set(&mut sync, value, Key::Sync, inner.path.span(), errors);
        } else if Key::SegmentBytes.is(&inner.path) {
            let value = parse_int::<u64>(
                &inner,
                Key::SegmentBytes,
                SEGMENT_EXAMPLE,
                "a size in bytes",
                errors,
            )?;
            failed |= value.is_none();
            set(
                &mut persist.segment_bytes,
                value,
                Key::SegmentBytes,
                inner.path.span(),
                errors,
            );
        } else {
            errors.at(
                inner.path.span(),
                format!(
                    "`persist(...)` takes `sync` and `segment_bytes`: write e.g. \
                     `persist(sync = every_write, {SEGMENT_EXAMPLE})`"
                ),
            );
            failed = true;
            return skip_value(&inner);
        }
        Ok(())
    })?;
    if !failed {
        persist.sync = Some(sync.unwrap_or(every_write));
    }
    Ok(persist)
}

fn parse_sync(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<SyncKind>>> {
    let Some(input) = value_of(meta, Key::Sync, "sync = every_write", errors)? else {
        return Ok(None);
    };
    // `periodic(ms = N)` is a call expression to syn; read it by hand for spans on its parts.
    let expr: Expr = input.parse()?;
    let unknown = |errors: &mut Errors, expr: &Expr| {
        errors.spanned(
            expr,
            format!("unknown sync policy; the policies are {}", one_of(POLICIES)),
        );
    };
    let value = match &expr {
        Expr::Path(ExprPath { path, .. }) if path.is_ident("none") => Some(SyncKind::None),
        Expr::Path(ExprPath { path, .. }) if path.is_ident("every_write") => {
            Some(SyncKind::EveryWrite)
        }
        Expr::Path(ExprPath { path, .. }) if path.is_ident("periodic") => {
            errors.spanned(
                &expr,
                "`periodic` needs its interval: write `sync = periodic(ms = 100)`",
            );
            None
        }
        Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.is_ident("periodic")) => {
            periodic_ms(call, errors)
        }
        _ => {
            unknown(errors, &expr);
            None
        }
    };
    Ok(value.map(|value| Spanned {
        value,
        span: expr.span(),
    }))
}

/// The `ms = N` of `periodic(ms = N)`.
fn periodic_ms(call: &syn::ExprCall, errors: &mut Errors) -> Option<SyncKind> {
    const PERIODIC: &str = "`sync = periodic(ms = 100)`";
    let mut args = call.args.iter();
    let (Some(arg), None) = (args.next(), args.next()) else {
        errors.spanned(
            call,
            format!("`periodic(...)` takes one key, `ms`: write {PERIODIC}"),
        );
        return None;
    };
    let Expr::Assign(assign) = arg else {
        errors.spanned(
            arg,
            format!("`periodic(...)` takes `ms = N`: write {PERIODIC}"),
        );
        return None;
    };
    if !matches!(&*assign.left, Expr::Path(p) if Key::Ms.is(&p.path)) {
        errors.spanned(
            &assign.left,
            format!("`periodic(...)` takes one key, `ms`: write {PERIODIC}"),
        );
        return None;
    }
    let ms = match &*assign.right {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int.base10_parse::<u64>().ok(),
        _ => None,
    };
    match ms {
        Some(0) => {
            errors.spanned(
                &assign.right,
                "`ms = 0` would sync without pause: the interval is at least 1 ms; for a sync \
                 on every write, write `sync = every_write`",
            );
            None
        }
        Some(ms) => Some(SyncKind::Periodic { ms }),
        None => {
            errors.spanned(
                &assign.right,
                format!(
                    "`ms` takes a whole number of milliseconds, written as a literal: {PERIODIC}"
                ),
            );
            None
        }
    }
}

/// `codec = serde`.
pub(crate) fn parse_codec(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<CodecKind>>> {
    let Some(input) = value_of(meta, Key::Codec, "codec = serde", errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    if matches!(&expr, Expr::Path(ExprPath { path, .. }) if path.is_ident("serde")) {
        return Ok(Some(Spanned {
            value: CodecKind::Serde,
            span: expr.span(),
        }));
    }
    errors.spanned(
        &expr,
        "unknown codec; the only one to name is `serde` (Serialize + DeserializeOwned, with \
         elasticq's `serde` feature); without `codec`, a persisted message is encoded field \
         by field, each field's type implementing `elasticq::Codec`",
    );
    Ok(None)
}
