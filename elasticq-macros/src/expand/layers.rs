//! The layer composition: which runtime layers a queue is built from (engine, priority
//! levels, partitions, map mode, persistence, instrumentation), as the type of its `inner`
//! field, and which calls each layer adds to the queue.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::QueueSpec;
use crate::parse::attr::{ContainerKey, EngineKind, Mode, QueueAttrs};
use crate::parse::read::Spanned;
use crate::parse::{Message, QueueDecl};

/// Which layers the queue is composed of, and so which calls it offers.
pub(super) struct Layers {
    /// `pop_priority` / `len_priority`, naming levels by this type; `Guarded` when the
    /// message is not visible (`#[elasticq::queue]`): the calls exist and compile only for a
    /// message that has priorities.
    pub(super) priority: Api,
    /// The partition layer (or map mode, which is partitioned by key).
    pub(super) partitioned: bool,
    /// `partition_of`, taking any borrowed form of this key type; `Guarded` as above;
    /// `AnyHash` for a key computed by a function whose return type the macro cannot name.
    pub(super) partition_of: Api,
    /// Map mode: `put`, `get`, `remove`, `pop_entry`.
    pub(super) map: bool,
}

pub(super) enum Api {
    Absent,
    Known(TokenStream),
    AnyHash,
    Guarded,
}

impl Layers {
    pub(super) fn of_message(message: &Message<'_>) -> Self {
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

    pub(super) fn of_queue_decl(decl: &QueueDecl) -> Self {
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

impl Api {
    pub(super) fn is_absent(&self) -> bool {
        matches!(self, Api::Absent)
    }
}

/// The engine a queue's lanes run on, and how the docs describe it.
pub(super) fn engine(attrs: &QueueAttrs, map: bool) -> (Ident, &'static str) {
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

/// The type of the queue's `inner` field, and how `build` turns a built composition into it.
pub(super) struct Composition {
    /// The message type's first token, where an unmet bound of the composition is reported.
    pub(super) at: Span,
    /// The layers as built by `with_config` (or opened by `Persistent::open`).
    pub(super) layers: TokenStream,
    /// The `inner` field's type: the layers, inside `Instrumented` for a labelled queue.
    pub(super) inner: TokenStream,
    /// `__inner`, the built layers, as a value of `inner`'s type.
    pub(super) wrap: TokenStream,
    pub(super) engine_doc: &'static str,
}

pub(super) fn composition(spec: &QueueSpec<'_>, private: &TokenStream) -> Composition {
    let message = &spec.message;
    let (engine, engine_doc) = engine(spec.attrs, spec.layers.map);
    // Spanned on the message type: for a type that does not derive ElasticQueue, the
    // unsatisfied `Message` bound of every use of the composition is reported there.
    let at = message
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    // Each engine is held in `Retried`, which keeps the tries of a push waiting for room
    // (`push_async`, the sink) out of `stats().rejected`.
    let lanes = quote_spanned!(at=> <#message as #private::Message>::Lanes<
        #private::Retried<#private::#engine<#message>>>);
    let layers = if spec.attrs.persist.is_some() {
        let recorded = quote_spanned!(at=> #private::Recorded<#message>);
        quote_spanned!(at=> #private::Persistent<#message,
            <#message as #private::Durable>::RecordedLanes<#private::Retried<#private::#engine<#recorded>>>>)
    } else if spec.layers.map {
        quote_spanned!(at=> #private::Retried<#private::MapQueue<#message>>)
    } else if spec.layers.partitioned {
        quote_spanned!(at=> #private::Partitioned<#message, #lanes>)
    } else {
        lanes
    };
    // A labelled queue holds its composition inside `Instrumented`, which publishes its
    // counters and times pushes and pops; the others hold it bare and pay nothing.
    let label = spec.attrs.metrics.as_ref();
    let inner = match label {
        Some(_) => quote_spanned!(at=> #private::Instrumented<#message, #layers>),
        None => layers.clone(),
    };
    let wrap = match label {
        Some(label) => quote!(#private::Instrumented::new(__inner, #label)),
        None => quote!(__inner),
    };
    Composition {
        at,
        layers,
        inner,
        wrap,
        engine_doc,
    }
}
