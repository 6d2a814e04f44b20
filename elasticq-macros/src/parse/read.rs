//! Reading values: the primitives every key's parser is built from (`key = value`, a
//! literal number, a duplicate key, a value to skip after a mistake), each reporting a
//! mistake on its token and reading on, so that every mistake is reported at once.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, Token, UnOp};

use crate::errors::Errors;
use crate::parse::keys::Key;

/// A value and the span of the tokens it was written with.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// Stores `value` unless the key was already given, which is reported on the second one.
pub(crate) fn set<T>(
    slot: &mut Option<T>,
    value: Option<T>,
    key: Key,
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
    key: Key,
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

/// `key = N` with `N` a `usize` literal; `what` says what the number counts, for the error.
pub(crate) fn parse_usize(
    meta: &ParseNestedMeta<'_>,
    key: Key,
    example: &str,
    what: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<usize>>> {
    parse_int(meta, key, example, what, errors)
}

/// `key = N` with `N` an integer literal of type `N`; `what` says what the number counts.
pub(crate) fn parse_int<N>(
    meta: &ParseNestedMeta<'_>,
    key: Key,
    example: &str,
    what: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Spanned<N>>>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    let Some(input) = value_of(meta, key, example, errors)? else {
        return Ok(None);
    };
    let expr: Expr = input.parse()?;
    let parsed = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<N>().ok(),
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

pub(crate) fn parse_float(
    meta: &ParseNestedMeta<'_>,
    key: Key,
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

/// Reports (and consumes) a string literal where `key` wants a `what` written as code:
/// `crate = "x"` for `crate = x`. Returns whether there was one.
pub(crate) fn quoted(
    input: ParseStream<'_>,
    key: Key,
    what: &str,
    errors: &mut Errors,
) -> syn::Result<bool> {
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
