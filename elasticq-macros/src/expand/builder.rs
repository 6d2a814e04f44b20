//! The builder (`{Queue}Builder`): its struct, `{Queue}::builder()` starting from the declared
//! settings, a setter per setting the queue's layers have, and `build`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::constructors::Constructor;
use super::hooks;
use super::layers::Composition;
use super::persist::PersistItems;
use super::{Cx, QueueSpec};
use crate::parse::attr::{OverflowKind, PartitionCount, QueueAttrs};

pub(super) struct Builder {
    /// The builder's struct.
    pub(super) item: TokenStream,
    /// `builder()`, inside the queue's `impl` block.
    pub(super) method: TokenStream,
    /// The builder's setters and `build`.
    pub(super) impl_block: TokenStream,
}

pub(super) fn builder(
    spec: &QueueSpec<'_>,
    cx: &Cx,
    builder: &Ident,
    docs_builder: &str,
    persist: &PersistItems,
    composition: &Composition,
    constructor: &Constructor,
) -> Builder {
    let Cx {
        private,
        impl_generics,
        ty_generics,
        impl_where,
        struct_where,
        ..
    } = cx;
    let (vis, ident, generics) = (spec.vis, &spec.ident, spec.generics);
    let builder_doc = docs_builder;
    let config = declared_config(spec.attrs, private);
    let persist_field = &persist.field;
    let persist_init = &persist.init;
    let persist_setters = &persist.setters;
    let layer_setters = layer_setters(spec, private);
    let overflow_setters = overflow_setters(spec, cx);
    let hooks = hooks::Hooks::of(spec, cx);
    let (hooks_field, hooks_init, hooks_install, hooks_check) =
        (&hooks.field, &hooks.init, &hooks.install, &hooks.check);
    let inner_binding = if hooks_install.is_empty() {
        quote!(__inner)
    } else {
        quote!(mut __inner)
    };
    let wrap = &composition.wrap;
    // A persisted queue shares its async wake-ups with its deliveries (a `nack` wakes a
    // task waiting for a message), so they come from the composition it opened.
    let signals = if cx.persisted {
        quote!(#private::Persistent::shared_signals(&__inner))
    } else {
        quote!(#private::Signals::new())
    };
    let Constructor {
        build, build_doc, ..
    } = constructor;
    let n = Ident::new("__n", Span::mixed_site());
    let ratio = Ident::new("__ratio", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    let f64 = quote!(::core::primitive::f64);
    let item = quote! {
        #[doc = #builder_doc]
        #vis struct #builder #generics #struct_where {
            config: #private::Config,
            #hooks_field
            #persist_field
            queue: #private::PhantomData<#ident #ty_generics>,
        }
    };
    let method = quote! {
            /// A builder starting from the declared settings, to change any of them at run
            /// time.
            #vis fn builder() -> #builder #ty_generics {
                #hooks_check
                #builder {
                    config: #config,
                    #hooks_init
                    #persist_init
                    queue: #private::PhantomData,
                }
            }
    };
    let impl_block = quote! {
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

            #overflow_setters
            #layer_setters
            #persist_setters

            #build_doc
            #vis fn build(self) -> #private::Result<#ident #ty_generics, #private::Error> {
                match #build {
                    #private::Ok(#inner_binding) => {
                        #hooks_install
                        let __signals = #signals;
                        #private::Ok(#ident {
                            inner: #wrap,
                            signals: __signals,
                        })
                    }
                    #private::Err(__error) => #private::Err(__error),
                }
            }
        }
    };
    Builder {
        item,
        method,
        impl_block,
    }
}

/// Builder setters for the overflow policy, the byte bound and the eviction callback, which
/// every queue but a map-mode one has.
fn overflow_setters(spec: &QueueSpec<'_>, cx: &Cx) -> TokenStream {
    if spec.layers.map {
        return TokenStream::new();
    }
    let (vis, message, private) = (spec.vis, &spec.message, &cx.private);
    let n = Ident::new("__n", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    let on_evict = hooks::supported(spec).then(|| {
        quote! {
            /// Sets a callback that receives every message evicted under
            /// `Overflow::DropOldest`, on the thread of the push that evicted it, after that
            /// push took its place. Without one, evicted messages are dropped.
            #vis fn on_evict(mut self, __evicted: impl ::core::ops::Fn(#message) + ::core::marker::Send + ::core::marker::Sync + 'static) -> Self {
                self.hooks = self.hooks.evicted(__evicted);
                self
            }
        }
    });
    quote! {
        /// Sets what a push into a lane full at its maximum (or byte bound) does:
        /// `elasticq::Overflow::Reject` refuses it with `Full`, `DropOldest` evicts the lane's
        /// oldest messages to take it (counted in `stats().dropped`).
        #vis fn overflow(mut self, __overflow: #private::Overflow) -> Self {
            self.config = self.config.overflow(__overflow);
            self
        }

        /// Sets the byte bound of each lane (at least 1): the summed weight of its queued
        /// messages never passes it.
        #vis fn max_bytes(mut self, #n: #usize) -> Self {
            self.config = self.config.max_bytes(#n);
            self
        }

        #on_evict
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
    if let Some(overflow) = &attrs.overflow {
        let policy = match overflow.value {
            OverflowKind::Reject => quote!(Reject),
            OverflowKind::DropOldest => quote!(DropOldest),
        };
        config = quote!(#config.overflow(#private::Overflow::#policy));
    }
    if let Some(max_bytes) = &attrs.max_bytes {
        let n = max_bytes.value;
        config = quote!(#config.max_bytes(#n));
    }
    config
}
