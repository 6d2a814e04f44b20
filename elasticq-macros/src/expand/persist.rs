//! What persistence adds to a queue (the builder's log options and setters, the queue's
//! deliveries, `sync`, `compact` and `persist_stats`, the check that elasticq has its
//! `persist` feature), and the `Codec` impl the derive writes for a persisted message.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{DeriveInput, Ident};

use super::QueueSpec;
use crate::derive::codec;
use crate::errors::Errors;
use crate::parse::persist::SyncKind;
use crate::parse::Message;

/// What persistence adds to a queue: the builder's log options and setters, the queue's
/// `sync`, `compact`, `persist_stats` and deliveries, the check that elasticq was built with
/// its `persist` feature, and (for a generic message) the bound that it has an encoding.
#[derive(Default)]
pub(super) struct PersistItems {
    pub(super) field: TokenStream,
    pub(super) init: TokenStream,
    pub(super) setters: TokenStream,
    pub(super) methods: TokenStream,
    pub(super) enabled: TokenStream,
    pub(super) bound: Option<TokenStream>,
}

pub(super) fn persist_items(
    spec: &QueueSpec<'_>,
    private: &TokenStream,
    inner_ref: &TokenStream,
) -> PersistItems {
    let Some(sync) = spec.attrs.persist.as_ref().map(|p| p.value) else {
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
        init: match spec.attrs.segment_bytes.as_ref().map(|n| n.value) {
            Some(bytes) => quote!(
                persist: #private::PersistOptions::with_sync(#policy).segment_bytes(#bytes),
            ),
            None => quote!(persist: #private::PersistOptions::with_sync(#policy),),
        },
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

            /// Sets the size of the log's segment files (default 16 MiB, or the declaration's
            /// `persist(segment_bytes = N)`).
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

            /// Up to `max` deliveries from any partitions, oldest first as `pop_batch` takes
            /// them, none acknowledged: acknowledge them together with
            /// `elasticq::Delivery::ack_all` once the batch is handled.
            #vis fn pop_delivery_batch(&self, #max: #usize) -> #private::Vec<#private::Delivery<#message>> {
                let __popped = #private::Persistent::pop_delivery_batch(#inner_ref, #max);
                if !__popped.is_empty() {
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

/// The `Codec` impl the ElasticQueue derive writes for a persisted message (or one on
/// JetStream, whose payloads are the same encoding): field by field
/// as `#[derive(Codec)]` would, or through serde with `codec = serde`.
pub(super) fn codec_impl(input: &DeriveInput, message: &Message<'_>) -> TokenStream {
    if message.attrs.persist.is_none() && message.attrs.jetstream.is_none() {
        return TokenStream::new();
    }
    let private = match &message.attrs.krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    };
    match &message.attrs.codec {
        Some(codec) => {
            let span = codec.span;
            let ident = message.ident;
            let (impl_generics, ty_generics, where_clause) = message.generics.split_for_impl();
            let out = Ident::new("__out", Span::mixed_site());
            let input_bytes = Ident::new("__input", Span::mixed_site());
            quote_spanned! {span=>
                #private::serde_enabled!{}
                #[automatically_derived]
                impl #impl_generics #private::Codec for #ident #ty_generics #where_clause {
                    fn encode(&self, #out: &mut #private::Vec<::core::primitive::u8>) {
                        #private::serde_encode(self, #out)
                    }
                    fn decode(#input_bytes: &mut &[::core::primitive::u8]) -> #private::Result<Self, #private::DecodeError> {
                        #private::serde_decode(#input_bytes)
                    }
                }
            }
        }
        // The derive already checked the attributes, so parsing them again reports nothing
        // new; a union never gets here.
        None => codec::derive(input, &mut Errors::default()).unwrap_or_default(),
    }
}
