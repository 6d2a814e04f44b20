//! Procedural macros for elasticq: `#[derive(ElasticQueue)]` and `#[elasticq::queue]`.
//!
//! Use them through the `elasticq` crate, which re-exports both and documents them. The crate
//! is split as `parse`, `check` and `expand`; errors from parsing and checking are
//! accumulated and reported together, each on the token at fault, and an input with errors
//! still expands to the `fallback` that keeps the rest of the user's code from follow-on
//! errors. The `Priority` and `Codec` derives live in `derive`.

mod check;
mod derive;
mod errors;
mod expand;
mod fallback;
mod parse;

use proc_macro::TokenStream;
use syn::parse_macro_input;

use crate::errors::Errors;

/// Generates `{Message}Queue`, a concurrent elastic queue typed for the message, and
/// implements `elasticq::Message` for it. Configured with `#[elastic_queue(...)]`; see the
/// `elasticq` crate for every key.
#[proc_macro_derive(ElasticQueue, attributes(elastic_queue))]
pub fn derive_elastic_queue(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    let mut errors = Errors::default();
    let message = parse::Message::from_derive(&input, &mut errors);
    if let Some(message) = &message {
        check::message(message, &mut errors);
    }
    match (errors.finish(), &message) {
        (Ok(()), Some(message)) => expand::derive(&input, message).into(),
        (Err(error), _) => {
            fallback::derive(&input, message.as_ref().map(|m| &m.attrs), error).into()
        }
        (Ok(()), None) => unreachable!("a rejected input always reports an error"),
    }
}

/// Implements `elasticq::Priority` for a fieldless enum: each variant is a priority level,
/// the first the lowest and a later one higher. `#[elastic_queue(crate = path)]` names a
/// renamed elasticq dependency.
#[proc_macro_derive(Priority, attributes(elastic_queue))]
pub fn derive_priority(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    let mut errors = Errors::default();
    let expanded = derive::priority::derive(&input, &mut errors);
    match (errors.finish(), expanded) {
        (Ok(()), Some(expanded)) => expanded.into(),
        (Err(error), _) => error.into_compile_error().into(),
        (Ok(()), None) => unreachable!("a rejected input always reports an error"),
    }
}

/// Implements `elasticq::Codec` for a struct or enum whose fields all implement it: fields
/// are encoded in declaration order, an enum's variant as its position before its fields.
/// `#[elastic_queue(crate = path)]` names a renamed elasticq dependency.
#[proc_macro_derive(Codec, attributes(elastic_queue))]
pub fn derive_codec(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    let mut errors = Errors::default();
    let expanded = derive::codec::derive(&input, &mut errors);
    match (errors.finish(), expanded) {
        (Ok(()), Some(expanded)) => expanded.into(),
        (Err(error), _) => error.into_compile_error().into(),
        (Ok(()), None) => unreachable!("a rejected input always reports an error"),
    }
}

/// Turns a unit struct into another queue type for a message that derives `ElasticQueue`,
/// configured by the attribute's own keys: `#[elasticq::queue(message = M, ...)]`.
#[proc_macro_attribute]
pub fn queue(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = parse_macro_input!(item as syn::Item);
    let written = item.clone();
    let mut errors = Errors::default();
    let decl = parse::QueueDecl::from_attribute(args.into(), item, &mut errors);
    if let Some(decl) = &decl {
        check::queue_decl(decl, &mut errors);
    }
    match (errors.finish(), decl) {
        (Ok(()), Some(decl)) => expand::queue_decl(&decl).into(),
        (Err(error), _) => fallback::queue(&written, error).into(),
        (Ok(()), None) => unreachable!("a rejected input always reports an error"),
    }
}
