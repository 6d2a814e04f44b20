//! The generated queue's async side: its `GeneratedQueue` impl (what the runtime's futures,
//! stream and sink adapters and processor call), and the inherent `push_async`, `pop_async`,
//! `pop_batch_async`, `pop_async_timeout`, `stream`, `sink`, `into_stream`, `into_sink`,
//! `processor` and, for persisted queues, `pop_delivery_async` and `pop_delivery_batch_async`,
//! which exist only when elasticq has its `tokio` feature.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::{Cx, QueueSpec};

pub(super) struct AsyncItems {
    /// Inherent methods (inside the queue's `impl` block).
    pub(super) methods: TokenStream,
    /// The `GeneratedQueue` impl.
    pub(super) trait_impl: TokenStream,
}

pub(super) fn async_api(spec: &QueueSpec<'_>, cx: &Cx) -> AsyncItems {
    let Cx {
        private,
        impl_generics,
        ty_generics,
        impl_where,
        engine_trait,
        lane_trait,
        inner_ref,
        persisted,
        ..
    } = cx;
    let (vis, ident, message) = (spec.vis, &spec.ident, &spec.message);
    let name = syn::LitStr::new(&ident.to_string(), ident.span());
    let usize = quote!(::core::primitive::usize);
    let value = Ident::new("__message", Span::mixed_site());
    let partition = Ident::new("__partition", Span::mixed_site());
    let max = Ident::new("__max", Span::mixed_site());
    let timeout = Ident::new("__timeout", Span::mixed_site());

    // What a processor batch is, and how one is taken from a partition.
    let (item, batch, take, count_partitions) = if *persisted {
        (
            quote!(#message),
            quote!(#private::Vec<#private::Delivery<#message>>),
            quote!(#private::Persistent::pop_delivery_batch_from(#inner_ref, #partition, #max)),
            quote!(#private::Persistent::partitions(#inner_ref)),
        )
    } else if spec.layers.map {
        (
            quote!(#private::Entry<#message>),
            quote!(#private::Vec<#private::Entry<#message>>),
            quote!(self.inner.pop_entries_from(#partition, #max)),
            quote!(self.inner.partitions()),
        )
    } else if spec.layers.partitioned {
        (
            quote!(#message),
            quote!(#private::Vec<#message>),
            quote!(self.inner.pop_batch_from(#partition, #max)),
            quote!(self.inner.partitions()),
        )
    } else {
        (
            quote!(#message),
            quote!(#private::Vec<#message>),
            quote!(if #partition == 0 {
                #engine_trait::pop_batch(#inner_ref, #max)
            } else {
                #private::Vec::new()
            }),
            quote!(1),
        )
    };

    // The tries of a push that waits for room: `Full` refusals uncounted at every layer.
    // `Instrumented`'s `Lane` impl times the other compositions' tries; a persisted queue is
    // called directly, so its tries are timed here.
    let retry_call = if spec.attrs.metrics.is_some() && *persisted {
        quote!(self.inner.timed_push(|| #lane_trait::push_retry(#inner_ref, #value)))
    } else {
        quote!(#lane_trait::push_retry(#inner_ref, #value))
    };

    // A labelled queue records what its processor reports in its series.
    let processing_metrics = spec.attrs.metrics.as_ref().map(|_| {
        quote! {
            fn processing_event(&self, __event: #private::ProcessingEvent) {
                self.inner.processing_event(__event)
            }
        }
    });
    let trait_impl = quote! {
        #[automatically_derived]
        impl #impl_generics #private::GeneratedQueue for #ident #ty_generics #impl_where {
            type Message = #message;
            type Item = #item;
            type Batch = #batch;
            const NAME: &'static ::core::primitive::str = #name;

            fn signals(&self) -> &#private::Signals {
                &self.signals
            }

            fn push(&self, #value: #message) -> #private::Result<(), #private::PushError<#message>> {
                #ident::push(self, #value)
            }

            fn pop(&self) -> #private::Option<#message> {
                #ident::pop(self)
            }

            fn push_retry(&self, #value: #message) -> #private::Result<(), #private::PushError<#message>> {
                let __pushed = #retry_call;
                if __pushed.is_ok() {
                    self.signals.pushed(1);
                }
                __pushed
            }

            fn pop_batch(&self, #max: #usize) -> #private::Vec<#message> {
                #ident::pop_batch(self, #max)
            }

            fn is_closed(&self) -> ::core::primitive::bool {
                #engine_trait::is_closed(#inner_ref)
            }

            fn len(&self) -> #usize {
                #engine_trait::len(#inner_ref)
            }

            fn count_partitions(&self) -> #usize {
                #count_partitions
            }

            #processing_metrics

            fn take(&self, #partition: #usize, #max: #usize) -> #batch {
                let __batch = #take;
                if !__batch.is_empty() {
                    self.signals.popped();
                }
                __batch
            }
        }
    };

    let processor_doc = if spec.layers.map {
        "the entries of its partition, each with the number of times it was overwritten while queued"
    } else if *persisted {
        "the messages of its partition, acknowledged in the log only once the function succeeds (at least once across crashes)"
    } else {
        "the messages of its partition, oldest first"
    };
    let processor_doc = format!(
        "PartitionedBuffer's processing cycle over this queue: `processor().interval(d).\
         batch_size(n).timeout(d).spawn(f)` starts one tokio task per partition (or \
         `spawn_threads(f)` one thread), each calling `f` every interval with {processor_doc}, \
         in batches of at most `batch_size`. A batch whose `f` fails or panics is retried with \
         backoff, then handed to the `dead_letter` callback or dropped; the handle's \
         `update_options` changes running workers and `shutdown` processes what is left. \
         Called on an `Arc` of the queue."
    );

    // A persisted queue's deliveries, waited for.
    let deliveries = persisted.then(|| {
        quote! {
            /// Like `pop_delivery`, waiting without blocking the thread for a message: the
            /// next one as a `Delivery` to acknowledge once handled; `None` once the queue
            /// is closed and empty. Cancellation safe: dropping the future before it
            /// completes loses no message.
            #vis fn pop_delivery_async(&self) -> #private::PopOneAsync<'_, Self, #private::Delivery<#message>> {
                #private::PopOneAsync::new(self, Self::pop_delivery)
            }

            /// Like `pop_batch_async`, as deliveries: waits for one message, then takes up
            /// to `max` deliveries without waiting more, to acknowledge together with
            /// `elasticq::Delivery::ack_all` once the batch is handled. Empty only once the
            /// queue is closed and empty (or for `max == 0`). Cancellation safe.
            #vis fn pop_delivery_batch_async(&self, #max: #usize) -> #private::PopBatchAsync<'_, Self, #private::Delivery<#message>> {
                #private::PopBatchAsync::with(self, #max, Self::pop_delivery_batch)
            }
        }
    });
    let owned_bound =
        quote!(where Self: '__a, for<'__s> Self: ::core::marker::Send + ::core::marker::Sync);

    let methods = quote! {
        #private::tokio_items! {
            /// Pushes `message`, waiting without blocking the thread while the queue is full at
            /// its maximum. Every other refusal (closed, an invalid priority, a failed log
            /// write) completes the future with the error, which hands the message back.
            /// Dropping the future before it completes drops the message unpushed; to get it
            /// back from a push given up on (a timeout, a `select!` on `&mut push`), call
            /// `into_message()` on the future instead of dropping it. The wait counts no
            /// rejection in `stats().rejected`; an error counts one.
            #vis fn push_async(&self, #value: #message) -> #private::PushAsync<'_, Self> {
                #private::PushAsync::new(self, #value)
            }

            /// The next message, waiting without blocking the thread; `None` once the queue is
            /// closed and empty. Cancellation safe: dropping the future before it completes
            /// loses no message.
            #vis fn pop_async(&self) -> #private::PopAsync<'_, Self> {
                #private::PopAsync::new(self)
            }

            /// Waits for at least one message, then takes up to `max` without waiting more (as
            /// `pop_batch` does, from any partition): one wake-up for the whole batch, like
            /// tokio's `Receiver::recv_many`. The batch is empty only once the queue is
            /// closed and empty; with `max == 0` it is empty at once. Cancellation safe:
            /// messages leave the queue only when the future completes.
            #vis fn pop_batch_async(&self, #max: #usize) -> #private::PopBatchAsync<'_, Self> {
                #private::PopBatchAsync::new(self, #max)
            }

            #deliveries

            /// Like `pop_async`, but waits at most `timeout`: `Err(PopError::Timeout)` then,
            /// and `Err(PopError::Closed)` once the queue is closed and empty. Needs a tokio
            /// runtime with its timer. Cancellation safe.
            #vis fn pop_async_timeout(&self, #timeout: #private::Duration) -> #private::PopAsyncTimeout<'_, Self> {
                #private::PopAsyncTimeout::new(self, #timeout)
            }

            /// A `futures` `Stream` of the queue's messages; it ends once the queue is closed
            /// and empty. Several streams and other consumers may share the queue.
            #vis fn stream(&self) -> #private::QueueStream<'_, Self> {
                #private::QueueStream::new(self)
            }

            /// A `futures` `Sink` into the queue, waiting while it is full at its maximum
            /// (backpressure); its error hands the message back. Closing the sink does not
            /// close the queue.
            #vis fn sink(&self) -> #private::QueueSink<'_, Self> {
                #private::QueueSink::new(self)
            }

            /// `sink()` in an owned form: it holds the `Arc` instead of borrowing the queue,
            /// so it can be moved into a spawned task (tokio-util's `PollSender` is the same
            /// idea for tokio's channels).
            #vis fn into_sink<'__a>(self: #private::Arc<Self>) -> #private::QueueSink<'__a, Self> #owned_bound {
                #private::QueueSink::owned(self)
            }

            /// `stream()` in an owned form: it holds the `Arc` instead of borrowing the queue,
            /// so it can be moved into a spawned task.
            #vis fn into_stream<'__a>(self: #private::Arc<Self>) -> #private::QueueStream<'__a, Self> #owned_bound {
                #private::QueueStream::owned(self)
            }

            #[doc = #processor_doc]
            #vis fn processor(self: &#private::Arc<Self>) -> #private::ProcessorBuilder<Self> {
                #private::ProcessorBuilder::new(<#private::Arc<Self> as ::core::clone::Clone>::clone(self))
            }
        }
    };
    AsyncItems {
        methods,
        trait_impl,
    }
}
