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
use quote::{format_ident, quote, quote_spanned, ToTokens as _};
use syn::{Attribute, Generics, Ident, LitStr, Path, Visibility};

use crate::ast::{Message, QueueDecl};
use crate::attr::{ContainerKey, EngineKind, Mode, PartitionCount, QueueAttrs, Spanned};
use crate::check;
use crate::impls::message_impls;
use crate::persist_keys::SyncKind;

mod async_api;

/// Which layers the queue is composed of, and so which calls it offers.
struct Layers {
    /// `pop_priority` / `len_priority`, naming levels by this type; `Guarded` when the
    /// message is not visible (`#[elasticq::queue]`): the calls exist and compile only for a
    /// message that has priorities.
    priority: Api,
    /// The partition layer (or map mode, which is partitioned by key).
    partitioned: bool,
    /// `partition_of`, taking any borrowed form of this key type; `Guarded` as above;
    /// `AnyHash` for a key computed by a function whose return type the macro cannot name.
    partition_of: Api,
    /// Map mode: `put`, `get`, `remove`, `pop_entry`.
    map: bool,
}

enum Api {
    Absent,
    Known(TokenStream),
    AnyHash,
    Guarded,
}

impl Layers {
    fn of_message(message: &Message<'_>) -> Self {
        let attrs = &message.attrs;
        let roles = &message.roles;
        let map = matches!(
            attrs.mode,
            Some(Spanned {
                value: Mode::Map,
                ..
            })
        );
        let priority = match &roles.priority {
            Some(field) => {
                let ty = &field.field.ty;
                Api::Known(quote!(#ty))
            }
            None if !roles.variant_levels.is_empty() => {
                Api::Known(quote!(::core::primitive::usize))
            }
            None => Api::Absent,
        };
        let ident = message.ident;
        let (_, ty_generics, _) = message.generics.split_for_impl();
        let partition_of = if map {
            roles.key.as_ref().map_or(Api::Absent, |key| {
                let ty = &key.ty;
                Api::Known(quote!(#ty))
            })
        } else if let Some(field) = &roles.partition_key {
            let ty = &field.ty;
            Api::Known(quote!(#ty))
        } else {
            match attrs.partition_key.as_ref().map(|key| &key.value) {
                Some(ContainerKey::Whole) => Api::Known(quote!(#ident #ty_generics)),
                Some(ContainerKey::Function(_)) => Api::AnyHash,
                None => Api::Absent,
            }
        };
        let partitioned = map
            || attrs.partitions.is_some()
            || roles.partition_key.is_some()
            || attrs.partition_key.is_some();
        Self {
            priority,
            partitioned,
            partition_of,
            map,
        }
    }

    fn of_queue_decl(decl: &QueueDecl) -> Self {
        let partitioned = decl.attrs.partitions.is_some();
        Self {
            priority: Api::Guarded,
            partitioned,
            partition_of: if partitioned {
                Api::Guarded
            } else {
                Api::Absent
            },
            map: false,
        }
    }
}

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
}

pub(crate) fn derive(message: &Message<'_>) -> TokenStream {
    let private = private_path(message.attrs.krate.as_ref());
    let ident = message.ident;
    let queue = message
        .attrs
        .name
        .clone()
        .unwrap_or_else(|| format_ident!("{}Queue", ident));
    let (_, ty_generics, _) = message.generics.split_for_impl();
    let items = queue_items(&QueueSpec {
        attrs: &message.attrs,
        outer: &[],
        vis: message.vis,
        ident: queue.clone(),
        generics: message.generics,
        message: quote!(#ident #ty_generics),
        message_name: ident.to_string(),
        origin: format!("`#[derive(ElasticQueue)]` on [`{ident}`]"),
        layers: Layers::of_message(message),
    });
    let impls = message_impls(message, &private, &queue);
    quote! {
        #items
        #impls
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
    let not_map_mode = {
        let text = format!(
            "`{message_name}` is a map-mode message (`mode = map`): `#[elasticq::queue]` \
             declares FIFO queues and cannot keep its entries by key; use the \
             `{message_name}Queue` its derive generates"
        );
        quote::quote_spanned! {syn::spanned::Spanned::span(message)=>
            const _: () = ::core::assert!(!<#message as #private::Message>::MAP_MODE, #text);
        }
    };
    // `fair` shares pops between the message's priority levels: it must have some.
    let fair_needs_levels = decl.attrs.fair_key.map(|span| {
        quote::quote_spanned! {span=>
            const _: fn() = || {
                fn fair_needs_a_message_with_priority_levels<M: #private::Prioritized>() {}
                fair_needs_a_message_with_priority_levels::<#message>();
            };
        }
    });
    let items = queue_items(&QueueSpec {
        attrs: &decl.attrs,
        outer: &decl.item.attrs,
        vis: &decl.item.vis,
        ident: decl.item.ident.clone(),
        generics: &decl.item.generics,
        message: message.to_token_stream(),
        message_name: message_name.clone(),
        origin: format!("`#[elasticq::queue(message = {message_name})]`"),
        layers: Layers::of_queue_decl(decl),
    });
    quote! {
        #assertion
        #not_map_mode
        #fair_needs_levels
        #items
    }
}

fn private_path(krate: Option<&Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    }
}

fn engine(attrs: &QueueAttrs, map: bool) -> (Ident, &'static str) {
    if map {
        return (
            Ident::new("LockedQueue", Span::call_site()),
            "map mode (`MapQueue`): a map of entries per partition, each under its own lock",
        );
    }
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
    let inner_ref = spec.inner_ref();
    let private = private_path(spec.attrs.krate.as_ref());
    let QueueSpec {
        outer,
        vis,
        ident,
        generics,
        message,
        layers,
        ..
    } = spec;
    let builder = format_ident!("{}Builder", ident);
    let (engine, engine_doc) = engine(spec.attrs, layers.map);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    // Spanned on the message type: for a type that does not derive ElasticQueue, the
    // unsatisfied `Message` bound of every use of the composition is reported there.
    let at = message
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let lanes =
        quote_spanned!(at=> <#message as #private::Message>::Lanes<#private::#engine<#message>>);
    let persist = spec.attrs.persist.as_ref().map(|p| p.value);
    let composition = if persist.is_some() {
        let recorded = quote_spanned!(at=> #private::Recorded<#message>);
        quote_spanned!(at=> #private::Persistent<#message,
            <#message as #private::Durable>::RecordedLanes<#private::#engine<#recorded>>>)
    } else if layers.map {
        quote_spanned!(at=> #private::MapQueue<#message>)
    } else if layers.partitioned {
        quote_spanned!(at=> #private::Partitioned<#message, #lanes>)
    } else {
        lanes
    };
    // A labelled queue holds its composition inside `Instrumented`, which publishes its
    // counters and times pushes and pops; the others hold it bare and pay nothing.
    let label = spec.attrs.metrics.as_ref();
    let inner = match label {
        Some(_) => quote_spanned!(at=> #private::Instrumented<#message, #composition>),
        None => composition.clone(),
    };
    let wrap = match label {
        Some(label) => quote!(#private::Instrumented::new(__inner, #label)),
        None => quote!(__inner),
    };
    let metrics_items = label.map(|label| {
        let doc = format!(
            "Publishes the queue's series (label `queue = {:?}`) now, instead of at the next \
             tick of the background publisher (once a second).",
            label.value()
        );
        quote! {
            #[doc = #doc]
            #vis fn publish_metrics(&self) {
                self.inner.publish_metrics()
            }
        }
    });
    let metrics_enabled = spec.attrs.metrics.as_ref().map(|label| {
        quote_spanned! {label.span()=> #private::metrics_enabled!{} }
    });
    let config = declared_config(spec.attrs, &private);
    let declared = check::config(spec.attrs);
    let m = &spec.message_name;

    let partitions_doc = match spec.attrs.partitions.as_ref().map(|p| p.value) {
        _ if !layers.partitioned => "1 (not partitioned)".to_owned(),
        Some(PartitionCount::Auto) => "`auto`: one per available core".to_owned(),
        _ => declared.get_partitions().to_string(),
    };
    let priority_doc = match (&layers.priority, spec.attrs.fair.as_ref()) {
        (Api::Absent, _) => "none".to_owned(),
        (Api::Guarded, None) => "the message's, strict (highest level first)".to_owned(),
        (Api::Guarded, Some(fair)) => format!(
            "the message's, fair: at most {} pops in a row from one level while a lower one waits",
            fair.value
        ),
        (_, None) => "strict: highest level first".to_owned(),
        (_, Some(fair)) => format!(
            "fair: at most {} pops in a row from one level while a lower one waits",
            fair.value
        ),
    };
    let queue_doc = format!(
        "A concurrent, elastic {kind} of `{m}` messages, generated by {origin}.\n\n\
         Every call takes `&self`: share the queue with `Arc` between any number of producer \
         and consumer threads. It grows by the growth factor when a push finds it full (up to \
         its maximum), shrinks when it is mostly empty (down to its minimum), and never loses, \
         duplicates or reorders a producer's messages. A push that cannot be done hands the \
         message back in its error.\n\n\
         | setting | value |\n|---|---|\n\
         | engine | {engine_doc} |\n\
         | initial capacity | {initial} |\n| minimum capacity | {min} |\n\
         | maximum capacity | {max} |\n| growth factor | {growth} |\n\
         | shrink threshold | {shrink} |\n| partitions | {partitions_doc} |\n\
         | priority levels | {priority_doc} |\n\n\
         Capacities apply to each lane: every partition, and every priority level in it.\n\n\
         Build it with [`new`]({ident}::new), or with [`builder`]({ident}::builder) to \
         change any setting at run time.",
        kind = if layers.map {
            "keyed buffer (map mode: last write wins per key)"
        } else {
            "FIFO queue"
        },
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
    let order = if layers.priority.is_absent() {
        "the oldest"
    } else {
        "the oldest of the highest non-empty priority level (fair mode bounds runs per level)"
    };
    let push_doc = doc(format!(
        "Appends a `{m}` without blocking, growing the queue if it is full and below its \
         maximum. `Err(PushError::Full(message))` at the maximum and \
         `Err(PushError::Closed(message))` after [`close`]({ident}::close) hand the message back{}.",
        if layers.priority.is_absent() {
            ""
        } else {
            ", as does `Err(PushError::InvalidPriority(message))` for a priority out of range"
        }
    ));
    let pop_doc = doc(format!(
        "Removes {order} `{m}` without blocking; `None` if the queue is empty.{}",
        if layers.partitioned {
            " Partitions are visited in turn, starting after the one the last pop took from, \
             so none starves."
        } else {
            ""
        }
    ));
    let push_batch_doc = doc(
        "Pushes every message in order. If the queue fills at its maximum or is closed part \
         way, the error hands back the messages not pushed, in order."
            .to_owned(),
    );
    let pop_batch_doc = doc(format!("Removes up to `max` messages, {order} first."));
    let push_timeout_doc = doc(
        "Like `push`, but when the queue is full at its maximum, waits until a consumer makes \
         room or `timeout` passes (then `PushError::Full` hands the message back)."
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
    // A persisted queue's layer is not an `Engine` (it cannot be built without a
    // directory); it has inherent methods of the same names.
    let (engine_trait, lane_trait) = if persist.is_some() {
        (quote!(#private::Persistent), quote!(#private::Persistent))
    } else {
        (quote!(#private::Engine), quote!(#private::Lane))
    };
    let persist_items = persist_items(spec, &private, persist);
    // `Instrumented`'s `Engine` impl times the other compositions' pushes and pops; a
    // persisted queue is called directly, so its calls are timed here.
    let (push_call, pop_call) = if label.is_some() && persist.is_some() {
        (
            quote!(self.inner.timed_push(|| #engine_trait::push(#inner_ref, #value))),
            quote!(self.inner.timed_pop(|| #engine_trait::pop(#inner_ref))),
        )
    } else {
        (
            quote!(#engine_trait::push(#inner_ref, #value)),
            quote!(#engine_trait::pop(#inner_ref)),
        )
    };

    let priority_methods = priority_methods(spec, &private, &lane_trait);
    let partition_methods = partition_methods(spec, &private);
    let map_methods = map_methods(spec, &private);
    let layer_setters = layer_setters(spec, &private);

    let PersistItems {
        field: persist_field,
        init: persist_init,
        setters: persist_setters,
        methods: persist_methods,
        enabled: persist_enabled,
        bound: persist_bound,
    } = persist_items;
    // A generic labelled queue is shared with the metrics publisher's thread: its message
    // must be sendable and own its data.
    let metrics_bound = (spec.attrs.metrics.is_some() && !generics.params.is_empty())
        .then(|| quote!(#message: ::core::marker::Send + 'static));
    let extra: Vec<TokenStream> = persist_bound.into_iter().chain(metrics_bound).collect();
    let impl_where = match (where_clause, extra.is_empty()) {
        (_, true) => quote!(#where_clause),
        (Some(clause), false) => {
            let predicates = clause.predicates.iter();
            quote!(where #(#predicates,)* #(#extra),*)
        }
        (None, false) => quote!(where #(#extra),*),
    };
    let async_api::AsyncItems {
        methods: async_methods,
        trait_impl: generated_queue_impl,
    } = async_api::async_api(
        spec,
        &async_api::Context {
            private: &private,
            impl_generics: quote!(#impl_generics),
            ty_generics: quote!(#ty_generics),
            impl_where: &impl_where,
            engine_trait: &engine_trait,
            persisted: persist.is_some(),
        },
    );
    let (constructor, build, build_doc) = if persist.is_some() {
        (
            quote! {
                /// Opens the queue's log in `dir` (created if needed) with the declared
                /// settings, and recovers what it holds: every message not acknowledged, in
                /// order. A second queue on the same directory, in this process or another,
                /// gets `elasticq::PersistError::Locked`; a damaged or foreign file is an
                /// error naming it and the offset.
                #vis fn open(__dir: impl #private::AsRef<#private::Path>) -> #private::Result<Self, #private::Error> {
                    Self::builder().dir(__dir).build()
                }
            },
            // Spanned on the message type: a message without an encoding is reported there,
            // once (only opening a log needs `Codec`).
            {
                let open = respan(quote!(#private::Persistent::open), at);
                quote_spanned!(at=> #open(self.config, self.persist))
            },
            quote! {
                /// Checks every setting, opens the log and recovers it (see `open`). An
                /// invalid setting is `Err(elasticq::Error::InvalidConfig)` naming the field;
                /// a log that cannot be opened is `Err(elasticq::Error::Persist)`.
            },
        )
    } else {
        (
            quote! {
                /// Builds the queue with the declared settings. `Err` only if run-time overrides
                /// are invalid, which `new` has none of; the declaration was checked when it
                /// compiled.
                #vis fn new() -> #private::Result<Self, #private::Error> {
                    Self::builder().build()
                }
            },
            quote!(<#composition as #engine_trait<#message>>::with_config(self.config)),
            quote! {
                /// Checks every setting and builds the queue; an invalid one is
                /// `Err(elasticq::Error::InvalidConfig)` naming the field, never a panic.
            },
        )
    };

    quote! {
        #(#outer)*
        #[doc = #queue_doc]
        #vis struct #ident #generics #where_clause {
            inner: #inner,
            signals: #private::Signals,
        }

        #[doc = #builder_doc]
        #vis struct #builder #generics #where_clause {
            config: #private::Config,
            #persist_field
            queue: #private::PhantomData<#ident #ty_generics>,
        }

        #persist_enabled
        #metrics_enabled

        impl #impl_generics #ident #ty_generics #impl_where {
            #constructor

            /// A builder starting from the declared settings, to change any of them at run
            /// time.
            #vis fn builder() -> #builder #ty_generics {
                #builder {
                    config: #config,
                    #persist_init
                    queue: #private::PhantomData,
                }
            }

            #push_doc
            #[inline]
            #vis fn push(&self, #value: #message) -> #private::Result<(), #private::PushError<#message>> {
                let __pushed = #push_call;
                if __pushed.is_ok() {
                    self.signals.pushed(1);
                }
                __pushed
            }

            #pop_doc
            #[inline]
            #vis fn pop(&self) -> #private::Option<#message> {
                let __popped = #pop_call;
                if __popped.is_some() {
                    self.signals.popped();
                }
                __popped
            }

            #push_timeout_doc
            #vis fn push_timeout(
                &self,
                #value: #message,
                #timeout: #private::Duration,
            ) -> #private::Result<(), #private::PushError<#message>> {
                let __pushed = #engine_trait::push_timeout(#inner_ref, #value, #timeout);
                if __pushed.is_ok() {
                    self.signals.pushed(1);
                }
                __pushed
            }

            #pop_timeout_doc
            #vis fn pop_timeout(
                &self,
                #timeout: #private::Duration,
            ) -> #private::Result<#message, #private::PopError> {
                let __popped = #engine_trait::pop_timeout(#inner_ref, #timeout);
                if __popped.is_ok() {
                    self.signals.popped();
                }
                __popped
            }

            #push_batch_doc
            #vis fn push_batch(
                &self,
                #items: impl #private::IntoIterator<Item = #message>,
            ) -> #private::Result<(), #private::PushError<#private::Vec<#message>>> {
                let __pushed = #engine_trait::push_batch(#inner_ref, #items);
                // Part of a refused batch may have gone in: wake every waiting consumer.
                self.signals.pushed(::core::primitive::usize::MAX);
                __pushed
            }

            #pop_batch_doc
            #vis fn pop_batch(&self, #max: #usize) -> #private::Vec<#message> {
                let __popped = #engine_trait::pop_batch(#inner_ref, #max);
                if !__popped.is_empty() {
                    self.signals.popped();
                }
                __popped
            }

            /// The number of messages queued (exact when no call is in flight).
            #vis fn len(&self) -> #usize {
                #engine_trait::len(#inner_ref)
            }

            /// Whether the queue holds no message.
            #vis fn is_empty(&self) -> #bool {
                #engine_trait::is_empty(#inner_ref)
            }

            /// How many messages the queue holds before it next grows (summed over lanes).
            #vis fn capacity(&self) -> #usize {
                #engine_trait::capacity(#inner_ref)
            }

            /// Drops every queued message (they count as dequeued).
            #vis fn clear(&self) {
                #engine_trait::clear(#inner_ref);
                self.signals.popped();
            }

            /// Removes and returns every queued message.
            #vis fn drain(&self) -> #private::Vec<#message> {
                let __drained = #engine_trait::drain(#inner_ref);
                self.signals.popped();
                __drained
            }

            /// Closes the queue: later pushes fail with `PushError::Closed`, waiting callers
            /// wake, and queued messages can still be popped.
            #vis fn close(&self) {
                #engine_trait::close(#inner_ref);
                self.signals.closed();
            }

            /// Whether [`close`](Self::close) has been called.
            #vis fn is_closed(&self) -> #bool {
                #engine_trait::is_closed(#inner_ref)
            }

            /// A snapshot of the counters: enqueued, dequeued, rejected, resizes, len and
            /// capacity, with `levels` and `partitions` broken out when the queue has them.
            #vis fn stats(&self) -> #private::Stats {
                #engine_trait::stats(#inner_ref)
            }

            /// The settings the queue was built with.
            #vis fn config(&self) -> &#private::Config {
                #lane_trait::config(#inner_ref)
            }

            #priority_methods
            #partition_methods
            #map_methods
            #persist_methods
            #async_methods
            #metrics_items
        }

        #generated_queue_impl

        impl #impl_generics #builder #ty_generics #impl_where {
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

            #layer_setters
            #persist_setters

            #build_doc
            #vis fn build(self) -> #private::Result<#ident #ty_generics, #private::Error> {
                match #build {
                    #private::Ok(__inner) => #private::Ok(#ident {
                        inner: #wrap,
                        signals: #private::Signals::new(),
                    }),
                    #private::Err(__error) => #private::Err(__error),
                }
            }
        }

        impl #impl_generics #private::Debug for #ident #ty_generics #impl_where {
            fn fmt(&self, #formatter: &mut #private::Formatter<'_>) -> #private::FmtResult {
                #formatter
                    .debug_struct(#name)
                    .field("stats", &#engine_trait::stats(#inner_ref))
                    .finish_non_exhaustive()
            }
        }

        impl #impl_generics #private::Debug for #builder #ty_generics #impl_where {
            fn fmt(&self, #formatter: &mut #private::Formatter<'_>) -> #private::FmtResult {
                #formatter
                    .debug_struct(#builder_name)
                    .field("config", &self.config)
                    .finish()
            }
        }
    }
}

impl QueueSpec<'_> {
    /// How generated code borrows the composition: a labelled persisted queue holds it inside
    /// `Instrumented`, which derefs to it (the other compositions are called through
    /// `Instrumented`'s own `Engine` and `Lane` impls, which time pushes and pops).
    fn inner_ref(&self) -> TokenStream {
        if self.attrs.metrics.is_some() && self.attrs.persist.is_some() {
            quote!(&*self.inner)
        } else {
            quote!(&self.inner)
        }
    }
}

impl Api {
    fn is_absent(&self) -> bool {
        matches!(self, Api::Absent)
    }
}

/// `pop_priority` and `len_priority`.
fn priority_methods(
    spec: &QueueSpec<'_>,
    private: &TokenStream,
    lane: &TokenStream,
) -> TokenStream {
    let inner_ref = spec.inner_ref();
    let (vis, message) = (spec.vis, &spec.message);
    let level = Ident::new("__level", Span::mixed_site());
    let level_param = Ident::new("__L", Span::mixed_site());
    let (generics, level_ty, bound) = match &spec.layers.priority {
        Api::Absent | Api::AnyHash => return TokenStream::new(),
        Api::Known(ty) => (quote!(), ty.clone(), quote!()),
        Api::Guarded => (
            quote!(<#level_param>),
            quote!(#level_param),
            quote!(where #message: #private::LevelOf<#level_param>),
        ),
    };
    let index = match &spec.layers.priority {
        Api::Guarded => {
            quote!(<#message as #private::LevelOf<#level_param>>::index_of(&#level))
        }
        _ => quote!(<#message as #private::Prioritized>::level_index(&#level)),
    };
    let guarded_doc = matches!(spec.layers.priority, Api::Guarded).then(|| {
        quote!(#[doc = "\n\nCallable when the message has priority levels; `level` has the type of its priority field."])
    });
    quote! {
        /// Pops the oldest message of priority `level`, whatever the other levels hold;
        /// `None` if that level is empty or `level` is out of range.
        #guarded_doc
        #vis fn pop_priority #generics (&self, #level: #level_ty) -> #private::Option<#message> #bound {
            match #index {
                #private::Some(__index) => {
                    let __popped = #lane::pop_level(#inner_ref, __index);
                    if __popped.is_some() {
                        self.signals.popped();
                    }
                    __popped
                }
                #private::None => #private::None,
            }
        }

        /// How many messages of priority `level` are queued (0 for a level out of range).
        #guarded_doc
        #vis fn len_priority #generics (&self, #level: #level_ty) -> ::core::primitive::usize #bound {
            match #index {
                #private::Some(__index) => #lane::len_level(#inner_ref, __index),
                #private::None => 0,
            }
        }
    }
}

/// `partitions`, `partition_of`, `pop_from`, `pop_batch_from`, `len_partition`.
fn partition_methods(spec: &QueueSpec<'_>, private: &TokenStream) -> TokenStream {
    if !spec.layers.partitioned {
        return TokenStream::new();
    }
    let (vis, message) = (spec.vis, &spec.message);
    let usize = quote!(::core::primitive::usize);
    let partition = Ident::new("__partition", Span::mixed_site());
    let max = Ident::new("__max", Span::mixed_site());
    let key = Ident::new("__key", Span::mixed_site());
    let borrowed = Ident::new("__Q", Span::mixed_site());
    let owned = Ident::new("__K", Span::mixed_site());
    let hash = quote!(#private::Hash);
    let partition_of = match &spec.layers.partition_of {
        Api::Absent => None,
        Api::Known(ty) => Some((
            quote!(<#borrowed: ?::core::marker::Sized + #hash>),
            quote!(where #ty: #private::Borrow<#borrowed>),
            "`key` is the partition key or any form it borrows as (`&str` for a `String` key).",
        )),
        Api::AnyHash => Some((
            quote!(<#borrowed: ?::core::marker::Sized + #hash>),
            quote!(),
            "`key` is a value of the type the partition-key function returns.",
        )),
        Api::Guarded => Some((
            quote!(<#owned: ?::core::marker::Sized, #borrowed: ?::core::marker::Sized + #hash>),
            quote!(where #message: #private::KeyOf<#owned>, #owned: #private::Borrow<#borrowed>),
            "`key` is the message's partition key or any form it borrows as. Callable when the \
             message is routed by a field or by itself.",
        )),
    };
    let partition_of = partition_of.map(|(generics, bound, key_doc)| {
        let doc = format!(
            "The partition a message with this key is routed to: the same in every run and \
             process. {key_doc}"
        );
        quote! {
            #[doc = #doc]
            #vis fn partition_of #generics (&self, #key: &#borrowed) -> #usize #bound {
                self.inner.partition_of_hash(#private::stable_hash(#key))
            }
        }
    });
    quote! {
        /// How many partitions the queue has.
        #vis fn partitions(&self) -> #usize {
            self.inner.partitions()
        }

        #partition_of

        /// Pops the next message of partition `partition` only (one consumer per partition
        /// keeps each partition's order); `None` if it is empty or does not exist.
        #vis fn pop_from(&self, #partition: #usize) -> #private::Option<#message> {
            let __popped = self.inner.pop_from(#partition);
            if __popped.is_some() {
                self.signals.popped();
            }
            __popped
        }

        /// Pops up to `max` messages of partition `partition` only; empty if it does not
        /// exist.
        #vis fn pop_batch_from(&self, #partition: #usize, #max: #usize) -> #private::Vec<#message> {
            let __popped = self.inner.pop_batch_from(#partition, #max);
            if !__popped.is_empty() {
                self.signals.popped();
            }
            __popped
        }

        /// How many messages partition `partition` holds (0 if it does not exist).
        #vis fn len_partition(&self, #partition: #usize) -> #usize {
            self.inner.len_partition(#partition)
        }
    }
}

/// Map mode's `put`, `get`, `remove` and `pop_entry`.
fn map_methods(spec: &QueueSpec<'_>, private: &TokenStream) -> TokenStream {
    let Api::Known(key_ty) = (if spec.layers.map {
        &spec.layers.partition_of
    } else {
        &Api::Absent
    }) else {
        return TokenStream::new();
    };
    let (vis, message) = (spec.vis, &spec.message);
    let value = Ident::new("__message", Span::mixed_site());
    let key = Ident::new("__key", Span::mixed_site());
    let borrowed = Ident::new("__Q", Span::mixed_site());
    let lookup = quote!(<#borrowed: ?::core::marker::Sized + #private::Hash + ::core::cmp::Eq>);
    quote! {
        /// Queues `message` under its key: a new entry (queued last), a replacement of the
        /// entry under that key (last write wins, or the newer version wins; the entry keeps
        /// its place and counts an overwrite), or a stale put that is ignored and counted.
        /// The outcome hands back the displaced or refused message.
        #vis fn put(&self, #value: #message) -> #private::Result<#private::Put<#message>, #private::PushError<#message>> {
            let __put = self.inner.put(#value);
            if __put.is_ok() {
                self.signals.pushed(1);
            }
            __put
        }

        /// A copy of the message queued under `key` (or a form it borrows as).
        #vis fn get #lookup (&self, #key: &#borrowed) -> #private::Option<#message>
        where
            #message: #private::CloneFor<#borrowed>,
            #key_ty: #private::Borrow<#borrowed>,
        {
            self.inner.get_with(#key, <#message as #private::CloneFor<#borrowed>>::cloned)
        }

        /// Removes and returns the message queued under `key` (counted as dequeued).
        #vis fn remove #lookup (&self, #key: &#borrowed) -> #private::Option<#message>
        where
            #key_ty: #private::Borrow<#borrowed>,
        {
            let __removed = self.inner.remove(#key);
            if __removed.is_some() {
                self.signals.popped();
            }
            __removed
        }

        /// Pops the oldest entry with the number of times it was overwritten while queued.
        #vis fn pop_entry(&self) -> #private::Option<#private::Entry<#message>> {
            let __popped = self.inner.pop_entry();
            if __popped.is_some() {
                self.signals.popped();
            }
            __popped
        }
    }
}

/// Builder setters for the partition and priority layers.
fn layer_setters(spec: &QueueSpec<'_>, private: &TokenStream) -> TokenStream {
    let vis = spec.vis;
    let n = Ident::new("__n", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    let partitions = spec.layers.partitioned.then(|| {
        quote! {
            /// Sets how many partitions the queue is split into (1 to
            /// `elasticq::MAX_PARTITIONS`).
            #vis fn partitions(mut self, #n: #usize) -> Self {
                self.config = self.config.partitions(#n);
                self
            }

            /// Sets one partition per available core.
            #vis fn auto_partitions(mut self) -> Self {
                self.config = self.config.auto_partitions();
                self
            }
        }
    });
    let fairness = (!spec.layers.priority.is_absent()).then(|| {
        quote! {
            /// Pops fairly: never more than `max_consecutive` (at least 1) in a row from one
            /// priority level while a lower level waits.
            #vis fn fair(mut self, #n: #usize) -> Self {
                self.config = self.config.fairness(#private::Fairness::Fair { max_consecutive: #n });
                self
            }

            /// Pops by strict priority: always the highest non-empty level.
            #vis fn strict(mut self) -> Self {
                self.config = self.config.fairness(#private::Fairness::Strict);
                self
            }
        }
    });
    quote!(#partitions #fairness)
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
    match attrs.partitions.as_ref().map(|p| p.value) {
        Some(PartitionCount::Count(n)) => config = quote!(#config.partitions(#n)),
        Some(PartitionCount::Auto) => config = quote!(#config.auto_partitions()),
        None => {}
    }
    if let Some(fair) = &attrs.fair {
        let k = fair.value;
        config = quote!(#config.fairness(#private::Fairness::Fair { max_consecutive: #k }));
    }
    config
}

/// What persistence adds to a queue: the builder's log options and setters, the queue's
/// `sync`, `compact`, `persist_stats` and deliveries, the check that elasticq was built with
/// its `persist` feature, and (for a generic message) the bound that it has an encoding.
#[derive(Default)]
struct PersistItems {
    field: TokenStream,
    init: TokenStream,
    setters: TokenStream,
    methods: TokenStream,
    enabled: TokenStream,
    bound: Option<TokenStream>,
}

fn persist_items(
    spec: &QueueSpec<'_>,
    private: &TokenStream,
    persist: Option<SyncKind>,
) -> PersistItems {
    let inner_ref = spec.inner_ref();
    let Some(sync) = persist else {
        return PersistItems::default();
    };
    let vis = spec.vis;
    let message = &spec.message;
    let policy = match sync {
        SyncKind::None => quote!(#private::SyncPolicy::None),
        SyncKind::EveryWrite => quote!(#private::SyncPolicy::EveryWrite),
        SyncKind::Periodic { ms } => {
            quote!(#private::SyncPolicy::Periodic(#private::Duration::from_millis(#ms)))
        }
    };
    let usize = quote!(::core::primitive::usize);
    let partition = Ident::new("__partition", Span::mixed_site());
    let max = Ident::new("__max", Span::mixed_site());
    let dir = Ident::new("__dir", Span::mixed_site());
    let n = Ident::new("__n", Span::mixed_site());
    let key_span = spec.attrs.persist_key.unwrap_or_else(Span::call_site);
    let partitioned = spec.layers.partitioned.then(|| {
        quote! {
            /// Like `pop_delivery`, from partition `partition` only.
            #vis fn pop_delivery_from(&self, #partition: #usize) -> #private::Option<#private::Delivery<#message>> {
                let __popped = #private::Persistent::pop_delivery_from(#inner_ref, #partition);
                if __popped.is_some() {
                    self.signals.popped();
                }
                __popped
            }

            /// Up to `max` deliveries from partition `partition`, oldest first; acknowledge
            /// them together with `elasticq::Delivery::ack_all` once the batch is handled.
            #vis fn pop_delivery_batch_from(&self, #partition: #usize, #max: #usize) -> #private::Vec<#private::Delivery<#message>> {
                let __popped = #private::Persistent::pop_delivery_batch_from(#inner_ref, #partition, #max);
                if !__popped.is_empty() {
                    self.signals.popped();
                }
                __popped
            }
        }
    });
    let generic = !spec.generics.params.is_empty();
    PersistItems {
        field: quote!(persist: #private::PersistOptions,),
        init: quote!(persist: #private::PersistOptions::with_sync(#policy),),
        setters: quote! {
            /// Sets the directory of the queue's log (required: `build` fails without it).
            #vis fn dir(mut self, #dir: impl #private::AsRef<#private::Path>) -> Self {
                self.persist = self.persist.dir(#dir);
                self
            }

            /// Sets when the log syncs: `elasticq::SyncPolicy::{None, EveryWrite, Periodic(interval)}`.
            #vis fn sync(mut self, __policy: #private::SyncPolicy) -> Self {
                self.persist = self.persist.sync(__policy);
                self
            }

            /// Sets the size of the log's segment files (default 16 MiB).
            #vis fn segment_bytes(mut self, #n: ::core::primitive::u64) -> Self {
                self.persist = self.persist.segment_bytes(#n);
                self
            }
        },
        methods: quote! {
            /// Takes the next message without acknowledging it: `Delivery::ack` does, once it
            /// is handled. A delivery never acknowledged (dropped, or the process died) is
            /// delivered again after the queue is next opened.
            #vis fn pop_delivery(&self) -> #private::Option<#private::Delivery<#message>> {
                let __popped = #private::Persistent::pop_delivery(#inner_ref);
                if __popped.is_some() {
                    self.signals.popped();
                }
                __popped
            }

            #partitioned

            /// Writes and syncs the log: every push and acknowledgement made before the call
            /// is on disk when it returns `Ok`, whatever the sync policy.
            #vis fn sync(&self) -> #private::Result<(), #private::PersistError> {
                #private::Persistent::sync(#inner_ref)
            }

            /// Deletes the log's segment files whose messages are all acknowledged; returns
            /// the bytes freed.
            #vis fn compact(&self) -> #private::Result<::core::primitive::u64, #private::PersistError> {
                #private::Persistent::compact(#inner_ref)
            }

            /// What the log wrote and synced, what is on disk, and what opening it recovered
            /// and cut.
            #vis fn persist_stats(&self) -> #private::PersistStats {
                #private::Persistent::persist_stats(#inner_ref)
            }
        },
        enabled: quote_spanned! {key_span=> #private::persist_enabled!{} },
        bound: generic.then(|| quote!(#message: #private::Codec)),
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
