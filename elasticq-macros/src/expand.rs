//! Code generation: the queue newtype, its builder, and the `Message` impl.
//!
//! Generated code names every outside item through `{crate}::__private` (`::elasticq` unless
//! `crate = ...` says otherwise) so that user items named `Result`, `Vec` or `Option`, a
//! `#[no_implicit_prelude]` module or a renamed dependency cannot change its meaning.
//! Primitive types are named as `::core::primitive::*`, so that a user alias named `usize` or
//! `str` cannot change them either. Every binding the generated code introduces (parameters,
//! match arms) is named with a leading `__`: a user constant of the same name in scope would
//! turn a plain name into a constant pattern, and hygiene (even mixed-site) does not prevent
//! that, since constants are items.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens as _};
use syn::{Attribute, Generics, Ident, LitStr, Path, Visibility};

use crate::ast::{Message, QueueDecl};
use crate::attr::{EngineKind, QueueAttrs};
use crate::check;

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
}

pub(crate) fn derive(message: &Message<'_>) -> TokenStream {
    let private = private_path(message.attrs.krate.as_ref());
    let ident = message.ident;
    let queue = message
        .attrs
        .name
        .clone()
        .unwrap_or_else(|| format_ident!("{}Queue", ident));
    let (impl_generics, ty_generics, where_clause) = message.generics.split_for_impl();
    let name = LitStr::new(&ident.to_string(), ident.span());
    let items = queue_items(&QueueSpec {
        attrs: &message.attrs,
        outer: &[],
        vis: message.vis,
        ident: queue.clone(),
        generics: message.generics,
        message: quote!(#ident #ty_generics),
        message_name: ident.to_string(),
        origin: format!("`#[derive(ElasticQueue)]` on [`{ident}`]"),
    });
    quote! {
        #items

        impl #impl_generics #private::Message for #ident #ty_generics #where_clause {
            type Queue = #queue #ty_generics;
            const NAME: &'static ::core::primitive::str = #name;
        }
    }
}

pub(crate) fn queue_decl(decl: &QueueDecl) -> TokenStream {
    let private = private_path(decl.attrs.krate.as_ref());
    let message = &decl.message;
    let message_name = message.to_token_stream().to_string().replace(' ', "");
    // Spanned on the message type, so that a type that does not derive ElasticQueue is
    // reported there, with the note `Message` carries.
    let assertion = quote::quote_spanned! {syn::spanned::Spanned::span(message)=>
        const _: fn() = || {
            fn declared_message_must_derive_elastic_queue<M: #private::Message>() {}
            declared_message_must_derive_elastic_queue::<#message>();
        };
    };
    let items = queue_items(&QueueSpec {
        attrs: &decl.attrs,
        outer: &decl.item.attrs,
        vis: &decl.item.vis,
        ident: decl.item.ident.clone(),
        generics: &decl.item.generics,
        message: message.to_token_stream(),
        message_name: message_name.clone(),
        origin: format!("`#[elasticq::queue(message = {message_name})]`"),
    });
    quote! {
        #assertion
        #items
    }
}

fn private_path(krate: Option<&Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    }
}

fn engine(attrs: &QueueAttrs) -> (Ident, &'static str) {
    match attrs.engine.as_ref().map(|engine| engine.value) {
        Some(EngineKind::LockFree) => (
            Ident::new("LockFreeQueue", Span::call_site()),
            "lock-free (`LockFreeQueue`): a chain of lock-free rings; producers never wait for a resize",
        ),
        Some(EngineKind::Locked) | None => (
            Ident::new("LockedQueue", Span::call_site()),
            "locked (`LockedQueue`): one mutex around a ring; predictable under any load",
        ),
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
    let builder = format_ident!("{}Builder", ident);
    let (engine, engine_doc) = engine(spec.attrs);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let inner = quote!(#private::#engine<#message>);
    let config = declared_config(spec.attrs, &private);
    let declared = check::config(spec.attrs);
    let m = &spec.message_name;

    let queue_doc = format!(
        "A concurrent, elastic FIFO queue of `{m}` messages, generated by {origin}.\n\n\
         Every call takes `&self`: share the queue with `Arc` between any number of producer \
         and consumer threads. It grows by the growth factor when a push finds it full (up to \
         its maximum), shrinks when it is mostly empty (down to its minimum), and never loses, \
         duplicates or reorders a producer's messages. A push that cannot be done hands the \
         message back in its error.\n\n\
         | setting | value |\n|---|---|\n\
         | engine | {engine_doc} |\n\
         | initial capacity | {initial} |\n| minimum capacity | {min} |\n\
         | maximum capacity | {max} |\n| growth factor | {growth} |\n\
         | shrink threshold | {shrink} |\n\n\
         Build it with [`new`]({ident}::new), or with [`builder`]({ident}::builder) to \
         change any setting at run time.",
        origin = spec.origin,
        initial = declared.get_initial_capacity(),
        min = declared.get_min_capacity(),
        max = declared.get_max_capacity(),
        growth = declared.get_growth_factor(),
        shrink = declared.get_shrink_threshold(),
    );
    let builder_doc = format!(
        "Builds a [`{ident}`] with settings changed from the declared ones. Every setter takes \
         the value as is; [`build`]({builder}::build) checks them all and returns \
         `elasticq::Error::InvalidConfig`, naming the field, for one that is invalid."
    );
    let doc = |text: String| quote!(#[doc = #text]);
    let push_doc = doc(format!(
        "Appends a `{m}` without blocking, growing the queue if it is full and below its \
         maximum. `Err(PushError::Full(message))` at the maximum and \
         `Err(PushError::Closed(message))` after [`close`]({ident}::close) hand the message back."
    ));
    let pop_doc = doc(format!(
        "Removes the oldest `{m}` without blocking; `None` if the queue is empty."
    ));
    let push_batch_doc = doc(
        "Pushes every message in order. If the queue fills at its maximum or is closed part \
         way, the error hands back the messages not pushed, in order."
            .to_owned(),
    );
    let pop_batch_doc = doc("Removes up to `max` messages, oldest first.".to_owned());
    let push_timeout_doc = doc(
        "Like `push`, but when the queue is full at its maximum, waits until a consumer makes \
         room or `timeout` passes (then `PushError::Full` hands the message back). Woken by \
         consumers, not by polling."
            .to_owned(),
    );
    let pop_timeout_doc = doc(
        "Like `pop`, but waits until a producer pushes or `timeout` passes: \
         `PopError::Timeout`, or `PopError::Closed` once the queue is closed and empty."
            .to_owned(),
    );

    // `__` names: a user constant called `max` in scope would turn a parameter named `max`
    // into a constant pattern, whatever the span's hygiene.
    let value = Ident::new("__message", Span::mixed_site());
    let items = Ident::new("__messages", Span::mixed_site());
    let max = Ident::new("__max", Span::mixed_site());
    let timeout = Ident::new("__timeout", Span::mixed_site());
    let formatter = Ident::new("__formatter", Span::mixed_site());
    let n = Ident::new("__n", Span::mixed_site());
    let ratio = Ident::new("__ratio", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    let bool = quote!(::core::primitive::bool);
    let f64 = quote!(::core::primitive::f64);
    let builder_name = LitStr::new(&builder.to_string(), ident.span());
    let name = LitStr::new(&ident.to_string(), ident.span());

    quote! {
        #(#outer)*
        #[doc = #queue_doc]
        #vis struct #ident #generics #where_clause {
            inner: #inner,
        }

        #[doc = #builder_doc]
        #vis struct #builder #generics #where_clause {
            config: #private::Config,
            queue: #private::PhantomData<#ident #ty_generics>,
        }

        impl #impl_generics #ident #ty_generics #where_clause {
            /// Builds the queue with the declared settings. `Err` only if run-time overrides
            /// are invalid, which `new` has none of; the declaration was checked when it
            /// compiled.
            #vis fn new() -> #private::Result<Self, #private::Error> {
                Self::builder().build()
            }

            /// A builder starting from the declared settings, to change any of them at run
            /// time.
            #vis fn builder() -> #builder #ty_generics {
                #builder {
                    config: #config,
                    queue: #private::PhantomData,
                }
            }

            #push_doc
            #[inline]
            #vis fn push(&self, #value: #message) -> #private::Result<(), #private::PushError<#message>> {
                self.inner.push(#value)
            }

            #pop_doc
            #[inline]
            #vis fn pop(&self) -> #private::Option<#message> {
                self.inner.pop()
            }

            #push_timeout_doc
            #vis fn push_timeout(
                &self,
                #value: #message,
                #timeout: #private::Duration,
            ) -> #private::Result<(), #private::PushError<#message>> {
                self.inner.push_timeout(#value, #timeout)
            }

            #pop_timeout_doc
            #vis fn pop_timeout(
                &self,
                #timeout: #private::Duration,
            ) -> #private::Result<#message, #private::PopError> {
                self.inner.pop_timeout(#timeout)
            }

            #push_batch_doc
            #vis fn push_batch(
                &self,
                #items: impl #private::IntoIterator<Item = #message>,
            ) -> #private::Result<(), #private::PushError<#private::Vec<#message>>> {
                self.inner.push_batch(#items)
            }

            #pop_batch_doc
            #vis fn pop_batch(&self, #max: #usize) -> #private::Vec<#message> {
                self.inner.pop_batch(#max)
            }

            /// The number of messages queued (exact when no call is in flight).
            #vis fn len(&self) -> #usize {
                self.inner.len()
            }

            /// Whether the queue holds no message.
            #vis fn is_empty(&self) -> #bool {
                self.inner.is_empty()
            }

            /// How many messages the queue holds before it next grows.
            #vis fn capacity(&self) -> #usize {
                self.inner.capacity()
            }

            /// Drops every queued message (they count as dequeued).
            #vis fn clear(&self) {
                self.inner.clear()
            }

            /// Removes and returns every queued message, oldest first.
            #vis fn drain(&self) -> #private::Vec<#message> {
                self.inner.drain()
            }

            /// Closes the queue: later pushes fail with `PushError::Closed`, waiting callers
            /// wake, and queued messages can still be popped.
            #vis fn close(&self) {
                self.inner.close()
            }

            /// Whether [`close`](Self::close) has been called.
            #vis fn is_closed(&self) -> #bool {
                self.inner.is_closed()
            }

            /// A snapshot of the counters: enqueued, dequeued, rejected, resizes, len and
            /// capacity.
            #vis fn stats(&self) -> #private::Stats {
                self.inner.stats()
            }

            /// The settings the queue was built with.
            #vis fn config(&self) -> &#private::Config {
                self.inner.config()
            }
        }

        impl #impl_generics #builder #ty_generics #where_clause {
            /// Sets how many messages the queue holds before its first growth.
            #vis fn initial_capacity(mut self, #n: #usize) -> Self {
                self.config = self.config.initial_capacity(#n);
                self
            }

            /// Sets the capacity below which the queue never shrinks (at least 1).
            #vis fn min_capacity(mut self, #n: #usize) -> Self {
                self.config = self.config.min_capacity(#n);
                self
            }

            /// Sets the capacity the queue never grows past; pushes then fail with `Full`.
            #vis fn max_capacity(mut self, #n: #usize) -> Self {
                self.config = self.config.max_capacity(#n);
                self
            }

            /// Sets the factor (greater than 1) a full queue multiplies its capacity by.
            #vis fn growth_factor(mut self, #ratio: #f64) -> Self {
                self.config = self.config.growth_factor(#ratio);
                self
            }

            /// Sets the fill ratio (strictly between 0 and 1) at or below which the queue
            /// shrinks.
            #vis fn shrink_threshold(mut self, #ratio: #f64) -> Self {
                self.config = self.config.shrink_threshold(#ratio);
                self
            }

            /// Checks every setting and builds the queue; an invalid one is
            /// `Err(elasticq::Error::InvalidConfig)` naming the field, never a panic.
            #vis fn build(self) -> #private::Result<#ident #ty_generics, #private::Error> {
                match #private::#engine::new(self.config) {
                    #private::Ok(__inner) => #private::Ok(#ident { inner: __inner }),
                    #private::Err(__error) => #private::Err(__error),
                }
            }
        }

        impl #impl_generics #private::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, #formatter: &mut #private::Formatter<'_>) -> #private::FmtResult {
                #formatter
                    .debug_struct(#name)
                    .field("stats", &self.inner.stats())
                    .finish_non_exhaustive()
            }
        }

        impl #impl_generics #private::Debug for #builder #ty_generics #where_clause {
            fn fmt(&self, #formatter: &mut #private::Formatter<'_>) -> #private::FmtResult {
                #formatter
                    .debug_struct(#builder_name)
                    .field("config", &self.config)
                    .finish()
            }
        }
    }
}

/// `Config::new()` with a setter call for each declared value.
fn declared_config(attrs: &QueueAttrs, private: &TokenStream) -> TokenStream {
    let mut config = quote!(#private::Config::new());
    let usize_setters = [
        ("initial_capacity", &attrs.initial),
        ("min_capacity", &attrs.min),
        ("max_capacity", &attrs.max),
    ];
    for (setter, value) in usize_setters {
        if let Some(value) = value {
            let setter = Ident::new(setter, Span::call_site());
            let value = value.value;
            config = quote!(#config.#setter(#value));
        }
    }
    let float_setters = [
        ("growth_factor", &attrs.growth_factor),
        ("shrink_threshold", &attrs.shrink_threshold),
    ];
    for (setter, value) in float_setters {
        if let Some(value) = value {
            let setter = Ident::new(setter, Span::call_site());
            let value = value.value;
            config = quote!(#config.#setter(#value));
        }
    }
    config
}
