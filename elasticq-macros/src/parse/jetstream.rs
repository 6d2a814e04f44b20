//! `jetstream(stream = "ORDERS", subject = "orders")`: the queue lives in a JetStream stream.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit, LitStr};

use crate::errors::Errors;
use crate::parse::keys::{Key, Site};
use crate::parse::read::{empty_parens, set, skip_value, value_of};
use crate::parse::suggest::one_of;

const EXAMPLE: &str = "`jetstream(stream = \"ORDERS\", subject = \"orders\")`";

/// What `jetstream(...)` declares; a name is `None` after a mistake (reported).
pub(crate) struct JetStream {
    pub(crate) stream: Option<LitStr>,
    pub(crate) subject: Option<LitStr>,
}

/// `jetstream(stream = "...", subject = "...")`; both are required.
pub(crate) fn parse_jetstream(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<JetStream>> {
    let key_span = meta.path.span();
    if !meta.input.peek(syn::token::Paren) {
        errors.at(
            key_span,
            format!("`jetstream` names its stream and subject: write {EXAMPLE}"),
        );
        return skip_value(meta).map(|()| None);
    }
    if let Some(parens) = empty_parens(meta)? {
        errors.at(parens, format!("`jetstream()` is empty: write {EXAMPLE}"));
        return Ok(None);
    }
    let mut stream = None;
    let mut subject = None;
    let mut failed = false;
    meta.parse_nested_meta(|inner| {
        let span = inner.path.span();
        let written = inner
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match Key::at(Site::JetStream, &written) {
            Some(key @ Key::Stream) => {
                let value = name(&inner, key, "stream = \"ORDERS\"", errors)?;
                failed |= value.is_none();
                set(&mut stream, value, key, span, errors);
            }
            Some(key @ Key::Subject) => {
                let value = name(&inner, key, "subject = \"orders\"", errors)?;
                failed |= value.is_none();
                set(&mut subject, value, key, span, errors);
            }
            _ => {
                errors.at(
                    span,
                    format!(
                        "`jetstream(...)` takes {}: write {EXAMPLE}",
                        one_of(&Site::JetStream.keys())
                    ),
                );
                failed = true;
                return skip_value(&inner);
            }
        }
        Ok(())
    })?;
    for (key, value, example) in [
        (Key::Stream, &stream, "stream = \"ORDERS\""),
        (Key::Subject, &subject, "subject = \"orders\""),
    ] {
        if value.is_none() && !failed {
            errors.at(
                key_span,
                format!("`jetstream(...)` needs `{key}`: add `{example}`"),
            );
        }
    }
    Ok(Some(JetStream { stream, subject }))
}

/// A string literal after `key =`.
fn name(
    meta: &ParseNestedMeta<'_>,
    key: Key,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let Some(input) = value_of(meta, key, example, errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            errors.spanned(
                &other,
                format!("`{key}` takes a string literal: write `{example}`"),
            );
            Ok(None)
        }
    }
}
