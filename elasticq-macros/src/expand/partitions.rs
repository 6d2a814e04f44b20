//! The partition layer's calls: `partitions`, `partition_of`, `pop_from`, `pop_batch_from`
//! and `len_partition`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::layers::Api;
use super::QueueSpec;

/// `partitions`, `partition_of`, `pop_from`, `pop_batch_from`, `len_partition`.
pub(super) fn partition_methods(spec: &QueueSpec<'_>, private: &TokenStream) -> TokenStream {
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
