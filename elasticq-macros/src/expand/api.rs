//! The queue's core calls, which every composition has: push and pop (single, timed and
//! batched), len, capacity, clear, drain, close, stats and config, and `publish_metrics` for
//! a labelled queue. Each successful call tells the queue's `Signals`, which wake async
//! waiters.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::docs::Docs;
use super::{Cx, QueueSpec};

pub(super) fn core_methods(spec: &QueueSpec<'_>, cx: &Cx, docs: &Docs) -> TokenStream {
    let Cx {
        private,
        engine_trait,
        lane_trait,
        inner_ref,
        persisted,
        ..
    } = cx;
    let (vis, message) = (spec.vis, &spec.message);
    let Docs {
        push: push_doc,
        pop: pop_doc,
        push_batch: push_batch_doc,
        pop_batch: pop_batch_doc,
        push_timeout: push_timeout_doc,
        pop_timeout: pop_timeout_doc,
        ..
    } = docs;
    // `__` names: a user constant called `max` in scope would turn a parameter named `max`
    // into a constant pattern, whatever the span's hygiene.
    let value = Ident::new("__message", Span::mixed_site());
    let items = Ident::new("__messages", Span::mixed_site());
    let max = Ident::new("__max", Span::mixed_site());
    let timeout = Ident::new("__timeout", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    let bool = quote!(::core::primitive::bool);
    // `Instrumented`'s `Engine` impl times the other compositions' pushes and pops; a
    // persisted queue is called directly, so its calls are timed here.
    let (push_call, pop_call) = if spec.attrs.metrics.is_some() && *persisted {
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
    quote! {
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
    }
}

/// `publish_metrics`, for a labelled queue.
pub(super) fn metrics_methods(spec: &QueueSpec<'_>) -> Option<TokenStream> {
    let vis = spec.vis;
    spec.attrs.metrics.as_ref().map(|label| {
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
    })
}
