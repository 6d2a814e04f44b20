//! Expand: the code a checked declaration generates, one file per part: the layer
//! composition ([`layers`]), the docs, the constructors, the core calls ([`api`]), the builder
//! and the hooks it sets on the lanes ([`hooks`]),
//! the calls of each layer ([`priority`], [`partitions`], [`map`], [`persist`]), the async
//! side, the `Debug` impls, and the traits the message implements ([`message_impls`]). This
//! file puts the queue's items together.
//!
//! Generated code names every outside item through `{crate}::__private` (`::elasticq` unless
//! `crate = ...` says otherwise) so that user items named `Result`, `Vec` or `Option`, a
//! `#[no_implicit_prelude]` module or a renamed dependency cannot change its meaning.
//! Primitive types are named as `::core::primitive::*`, so that a user alias named `usize` or
//! `str` cannot change them either. Every binding the generated code introduces (parameters,
//! match arms) is named with a leading `__`: a user constant of the same name in scope would
//! turn a plain name into a constant pattern, and hygiene (even mixed-site) does not prevent
//! that, since constants are items.

mod api;
mod async_api;
mod builder;
mod constructors;
mod debug;
mod docs;
mod hooks;
mod jetstream;
mod jetstream_map;
mod layers;
mod map;
mod message_impls;
mod partitions;
mod persist;
mod priority;
mod room;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens as _};
use syn::{Attribute, DeriveInput, Generics, Ident, Path, Visibility};

use crate::parse::attr::QueueAttrs;
use crate::parse::{Message, QueueDecl};
use layers::Layers;

/// Everything the queue items are generated from.
struct QueueSpec<'a> {
    attrs: &'a QueueAttrs,
    /// Attributes the user wrote on the queue struct (`#[elasticq::queue]` only).
    outer: &'a [Attribute],
    vis: &'a Visibility,
    ident: Ident,
    generics: &'a Generics,
    message: TokenStream,
    /// How the docs name the message.
    message_name: String,
    /// What generated the queue, for the docs.
    origin: String,
    layers: Layers,
    /// A bound every item of the queue carries (`#[elasticq::queue]`: that the message is one).
    gate: Option<TokenStream>,
    /// What `Self` means in the declaration's paths (`weight = Self::f`): the message on the
    /// derive, the queue struct in `#[elasticq::queue]`.
    self_type: TokenStream,
}

/// What every part of the queue's expansion shares.
struct Cx {
    private: TokenStream,
    impl_generics: TokenStream,
    ty_generics: TokenStream,
    /// The queue's where clause, with the bounds persistence and metrics add.
    impl_where: TokenStream,
    /// The where clause of the queue's and the builder's structs.
    struct_where: TokenStream,
    /// How generated code calls the composition: through `Engine` and `Lane`, or, for a
    /// persisted queue, through `Persistent`'s inherent methods of the same names.
    engine_trait: TokenStream,
    lane_trait: TokenStream,
    /// How generated code borrows the composition.
    inner_ref: TokenStream,
    persisted: bool,
}

/// `#[derive(ElasticQueue)]`: the queue, the traits the message implements and, for a
/// persisted message, its `Codec` impl.
pub(crate) fn derive(input: &DeriveInput, message: &Message<'_>) -> TokenStream {
    let private = private_path(message.attrs.krate.as_ref());
    let ident = message.ident;
    let queue = message
        .attrs
        .name
        .clone()
        .unwrap_or_else(|| format_ident!("{}Queue", ident));
    let (_, ty_generics, _) = message.generics.split_for_impl();
    let items = items(&QueueSpec {
        attrs: &message.attrs,
        outer: &[],
        vis: message.vis,
        ident: queue.clone(),
        generics: message.generics,
        message: quote!(#ident #ty_generics),
        message_name: ident.to_string(),
        origin: format!("`#[derive(ElasticQueue)]` on [`{ident}`]"),
        layers: Layers::of_message(message),
        gate: None,
        self_type: quote!(#ident #ty_generics),
    });
    let impls = message_impls::message_impls(message, &private, &queue);
    let codec = persist::codec_impl(input, message);
    quote! {
        #items
        #impls
        #codec
    }
}

pub(crate) fn queue_decl(decl: &QueueDecl) -> TokenStream {
    let private = private_path(decl.attrs.krate.as_ref());
    let message = &decl.message;
    let message_name = message.to_token_stream().to_string().replace(' ', "");
    let at = syn::spanned::Spanned::span(message);
    // The one check that the message derives ElasticQueue, spanned on it: the only place
    // where `M: Message` is proved, so a type that does not derive is reported once, there,
    // with the note `Message` carries. (The same constant refuses a map-mode message.)
    let message_check = {
        let text = format!(
            "`{message_name}` is a map-mode message (`mode = map`): `#[elasticq::queue]` \
             declares FIFO queues and cannot keep its entries by key; use the \
             `{message_name}Queue` its derive generates"
        );
        quote::quote_spanned! {at=>
            const _: () = ::core::assert!(!<#message as #private::Message>::MAP_MODE, #text);
        }
    };
    // Every other item assumes `M: Message` instead of proving it again, each proof a copy of
    // the error above. A bound under `for<'__m>` is not a trivial bound, so rustc does not
    // check it where it is written, only where the items are used; a message that derives
    // ElasticQueue meets it everywhere.
    let gate = quote_spanned!(at=> for<'__m> #message: #private::Message);
    // `fair` shares pops between the message's priority levels: it must have some.
    let fair_needs_levels = decl.attrs.fair_key.map(|span| {
        quote::quote_spanned! {span=>
            const _: fn() = || {
                fn fair_needs_a_message_with_priority_levels<M: #private::Prioritized>() {}
                fair_needs_a_message_with_priority_levels::<#message>();
            };
        }
    });
    let items = items(&QueueSpec {
        attrs: &decl.attrs,
        outer: &decl.item.attrs,
        vis: &decl.item.vis,
        ident: decl.item.ident.clone(),
        generics: &decl.item.generics,
        message: message.to_token_stream(),
        message_name: message_name.clone(),
        origin: format!("`#[elasticq::queue(message = {message_name})]`"),
        layers: Layers::of_queue_decl(decl),
        gate: Some(gate),
        self_type: decl.item.ident.to_token_stream(),
    });
    quote! {
        #message_check
        #fair_needs_levels
        #items
    }
}

/// A JetStream queue's items, or a local queue's.
fn items(spec: &QueueSpec<'_>) -> TokenStream {
    match spec.attrs.jetstream {
        Some(_) => jetstream::queue_items(spec),
        None => queue_items(spec),
    }
}

/// The where clause `where_clause` with `extra` predicates added (none: as written).
fn with_bounds(where_clause: Option<&syn::WhereClause>, extra: &[TokenStream]) -> TokenStream {
    match (where_clause, extra.is_empty()) {
        (_, true) => quote!(#where_clause),
        (Some(clause), false) => {
            let predicates = clause.predicates.iter();
            quote!(where #(#predicates,)* #(#extra),*)
        }
        (None, false) => quote!(where #(#extra),*),
    }
}

fn private_path(krate: Option<&Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    }
}

fn queue_items(spec: &QueueSpec<'_>) -> TokenStream {
    let private = private_path(spec.attrs.krate.as_ref());
    let QueueSpec {
        outer,
        vis,
        ident,
        generics,
        message,
        ..
    } = spec;
    let builder_ident = format_ident!("{}Builder", ident);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let persisted = spec.attrs.persist.is_some();
    let inner_ref = inner_ref(spec);
    let persist = persist::persist_items(spec, &private, &inner_ref);
    // A generic labelled queue is shared with the metrics publisher's thread, and a generic
    // persisted queue hands what it evicts to a callback its lanes share between threads:
    // the message must be sendable and own its data.
    let metrics_bound = ((spec.attrs.metrics.is_some() || persisted)
        && !generics.params.is_empty())
    .then(|| quote!(#message: ::core::marker::Send + 'static));
    let extra: Vec<TokenStream> = persist
        .bound
        .iter()
        .cloned()
        .chain(metrics_bound)
        .chain(spec.gate.clone())
        .collect();
    let impl_where = with_bounds(where_clause, &extra);
    let struct_where = with_bounds(where_clause, spec.gate.as_slice());
    let (engine_trait, lane_trait) = if persisted {
        (quote!(#private::Persistent), quote!(#private::Persistent))
    } else {
        (quote!(#private::Engine), quote!(#private::Lane))
    };
    let cx = Cx {
        private: private.clone(),
        impl_generics: quote!(#impl_generics),
        ty_generics: quote!(#ty_generics),
        impl_where,
        struct_where,
        engine_trait,
        lane_trait,
        inner_ref,
        persisted,
    };
    let composition = layers::composition(spec, &private);
    let docs = docs::docs(spec, &builder_ident, composition.engine_doc);
    let constructor = constructors::constructor(spec, &cx, &composition);
    let builder = builder::builder(
        spec,
        &cx,
        &builder_ident,
        &docs.builder,
        &persist,
        &composition,
        &constructor,
    );
    let core_methods = api::core_methods(spec, &cx, &docs);
    let priority_methods = priority::priority_methods(spec, &cx);
    let partition_methods = partitions::partition_methods(spec, &private);
    let map_methods = map::map_methods(spec, &private);
    let room_methods = room::room_methods(spec, &cx);
    let async_api::AsyncItems {
        methods: async_methods,
        trait_impl: generated_queue_impl,
    } = async_api::async_api(spec, &cx);
    let metrics_methods = api::metrics_methods(spec);
    let metrics_enabled = spec.attrs.metrics.as_ref().map(|label| {
        quote_spanned! {label.span()=> #private::metrics_enabled!{} }
    });
    let debug_impls = debug::debug_impls(spec, &cx, &builder_ident);

    let Cx {
        impl_generics,
        ty_generics,
        impl_where,
        struct_where,
        ..
    } = &cx;
    let queue_doc = &docs.queue;
    let inner = &composition.inner;
    let persist_enabled = &persist.enabled;
    // A persisted queue's wake-ups are shared with its deliveries (see `builder`).
    let signals_ty = match persisted {
        true => quote!(#private::Arc<#private::Signals>),
        false => quote!(#private::Signals),
    };
    let persist_methods = &persist.methods;
    let constructor = &constructor.method;
    let builder::Builder {
        item: builder_item,
        method: builder_method,
        impl_block: builder_impl,
    } = builder;
    quote! {
        #(#outer)*
        #[doc = #queue_doc]
        #vis struct #ident #generics #struct_where {
            inner: #inner,
            signals: #signals_ty,
        }

        #builder_item

        #persist_enabled
        #metrics_enabled

        impl #impl_generics #ident #ty_generics #impl_where {
            #constructor
            #builder_method
            #core_methods
            #priority_methods
            #partition_methods
            #map_methods
            #room_methods
            #persist_methods
            #async_methods
            #metrics_methods
        }

        #generated_queue_impl
        #builder_impl
        #debug_impls
    }
}

/// How generated code borrows the composition: a labelled persisted queue holds it inside
/// `Instrumented`, which derefs to it (the other compositions are called through
/// `Instrumented`'s own `Engine` and `Lane` impls, which time pushes and pops).
fn inner_ref(spec: &QueueSpec<'_>) -> TokenStream {
    if spec.attrs.metrics.is_some() && spec.attrs.persist.is_some() {
        quote!(&*self.inner)
    } else {
        quote!(&self.inner)
    }
}

/// `tokens` with every token spanned at `span`, so that an error about the whole path (an
/// unmet bound of the function it names) is reported there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
