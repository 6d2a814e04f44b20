//! Parse: the macro input as a model, the message a derive is on or the unit struct
//! `#[elasticq::queue]` turns into a queue, each with its keys parsed with their spans.
//!
//! [`keys`] spells every key once with the sites that accept it; [`attr`] parses the queue's
//! keys (one parser for both sites) into [`QueueAttrs`], from the value parsers in
//! [`values`], [`persist`] and the primitives in [`read`]; [`roles`] reads the marks on fields
//! and variants. Nothing here judges whether the keys make sense together: `check` does.

pub(crate) mod attr;
pub(crate) mod jetstream;
pub(crate) mod keys;
pub(crate) mod persist;
pub(crate) mod read;
pub(crate) mod roles;
pub(crate) mod suggest;
mod values;

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser as _;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Item, ItemStruct, Type, Visibility};

use crate::errors::Errors;
use crate::parse::attr::QueueAttrs;
use crate::parse::keys::{ours, Key, Site};
use crate::parse::roles::Roles;

/// A type deriving `ElasticQueue`.
pub(crate) struct Message<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: QueueAttrs,
    /// The marks on its fields and variants.
    pub(crate) roles: Roles<'a>,
    /// Whether the message is an enum.
    pub(crate) is_enum: bool,
}

impl<'a> Message<'a> {
    /// Reads the derive input; `None` when it cannot be a message at all (a union).
    pub(crate) fn from_derive(input: &'a DeriveInput, errors: &mut Errors) -> Option<Self> {
        let mut attrs = QueueAttrs::default();
        for attribute in ours(&input.attrs) {
            let parsed = attribute.parse_nested_meta(|meta| {
                attr::parse_key(&meta, Site::Container, &mut attrs, errors)
            });
            if let Err(error) = parsed {
                errors.push(error);
            }
        }
        match &input.data {
            Data::Struct(_) | Data::Enum(_) => {}
            Data::Union(data) => {
                errors.at(
                    data.union_token.span,
                    "ElasticQueue cannot be derived for a union: a queue must know which field \
                     of a message is set to move it safely; use a struct, or an enum with one \
                     variant per kind of message",
                );
                return None;
            }
        }
        Some(Self {
            ident: &input.ident,
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            roles: Roles::of(&input.data, errors),
            is_enum: matches!(input.data, Data::Enum(_)),
        })
    }
}

/// A unit struct under `#[elasticq::queue(message = M, ...)]`.
pub(crate) struct QueueDecl {
    pub(crate) item: ItemStruct,
    pub(crate) message: Type,
    pub(crate) attrs: QueueAttrs,
}

impl QueueDecl {
    /// Reads the attribute's arguments and the item; `None` when the item cannot become a
    /// queue or no message is named (both reported).
    pub(crate) fn from_attribute(
        args: TokenStream,
        item: Item,
        errors: &mut Errors,
    ) -> Option<Self> {
        let mut attrs = QueueAttrs::default();
        let parser =
            syn::meta::parser(|meta| attr::parse_key(&meta, Site::QueueArgs, &mut attrs, errors));
        if let Err(error) = parser.parse2(args) {
            errors.push(error);
        }
        let message = attrs.message.take();
        if !attrs.message_written {
            errors.at(
                Span::call_site(),
                format!(
                    "missing `{key}`: name the message type this queue carries, e.g. \
                     `#[elasticq::queue({key} = Publish)]`",
                    key = Key::Message
                ),
            );
        }
        let item = match item {
            Item::Struct(item) if matches!(item.fields, Fields::Unit) => item,
            Item::Struct(item) => {
                errors.spanned(
                    &item.fields,
                    format!(
                        "`#[elasticq::queue]` goes on a unit struct and fills in its fields: \
                         write `struct {};`",
                        item.ident
                    ),
                );
                return None;
            }
            other => {
                errors.spanned(
                    &other,
                    "`#[elasticq::queue]` goes on a unit struct, e.g. `pub struct AuditQueue;`",
                );
                return None;
            }
        };
        Some(Self {
            item,
            message: message?,
            attrs,
        })
    }
}
