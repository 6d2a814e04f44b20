//! Map mode's calls: `put`, `get`, `remove` and `pop_entry` (PartitionedBuffer.Map's
//! semantics: last write or newer version wins, an overwrite count per entry).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::layers::Api;
use super::QueueSpec;

/// Map mode's `put`, `get`, `remove` and `pop_entry`.
pub(super) fn map_methods(spec: &QueueSpec<'_>, private: &TokenStream) -> TokenStream {
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
