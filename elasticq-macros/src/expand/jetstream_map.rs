//! The map a `jetstream(...)` declaration of a `mode = map` message generates: a typed handle
//! on the runtime's `JetStreamMap` (a key-value bucket named by `stream`), with `put_async`,
//! `get_async`, `get_entry_async` and `remove_async`, and its builder of bucket settings.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, LitStr};

use super::layers::Api;
use super::{private_path, with_bounds, QueueSpec};

pub(super) fn map_items(spec: &QueueSpec<'_>, stream: &LitStr, subject: &LitStr) -> TokenStream {
    let private = private_path(spec.attrs.krate.as_ref());
    let Api::Known(key_ty) = &spec.layers.partition_of else {
        // `check` reported the missing key; the fallback expansion ran instead.
        return TokenStream::new();
    };
    let QueueSpec {
        outer,
        vis,
        ident,
        generics,
        message,
        ..
    } = spec;
    let builder = format_ident!("{}Builder", ident);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let mut bounds = vec![
        quote!(#message: #private::Codec + ::core::marker::Send + 'static),
        quote!(#key_ty: #private::Codec),
    ];
    bounds.extend(spec.gate.clone());
    let impl_where = with_bounds(where_clause, &bounds);
    let struct_where = with_bounds(where_clause, spec.gate.as_slice());
    let result = quote!(#private::Result);
    let error = quote!(#private::JetStreamError);
    let map = quote!(#private::JetStreamMap<#message>);
    let (client, m, key) = (
        Ident::new("__client", Span::mixed_site()),
        Ident::new("__message", Span::mixed_site()),
        Ident::new("__key", Span::mixed_site()),
    );
    let map_doc = format!(
        "The entries of [`{name}`] in the NATS JetStream key-value bucket `{stream}`, generated \
         by {origin}: the last message put under each key, shared by every process that \
         connects to the bucket.\n\n\
         Every change is a compare-and-set on the key's revision, so the newest version wins \
         (or, without a version field, the last write) whatever the processes' interleaving. \
         Connect with [`connect`](Self::connect) or through [`{builder}`].",
        name = spec.message_name,
        stream = stream.value(),
        origin = spec.origin,
    );
    let builder_doc = format!(
        "Bucket settings for a [`{ident}`]; every process sharing the bucket must declare the \
         same ones (a conflict is `JetStreamError::StreamConflict`)."
    );
    let storage_setters = super::jetstream::storage_setters(vis, &private);
    let key_span = spec.attrs.jetstream_key.unwrap_or_else(Span::call_site);
    let enabled = quote_spanned! {key_span=> #private::jetstream_enabled!{} };
    let name = ident.to_string();
    let builder_item = super::jetstream::BuilderItem {
        builder: &builder,
        doc: &builder_doc,
        impl_where: &impl_where,
        struct_where: &struct_where,
    }
    .tokens(spec, &private);
    quote! {
        #enabled

        #private::jetstream_items! {
            #(#outer)*
            #[doc = #map_doc]
            #vis struct #ident #generics #struct_where {
                inner: #private::Arc<#map>,
            }

            #builder_item

            impl #impl_generics #ident #ty_generics #impl_where {
                /// Connects through `client` with the declared settings: creates the bucket,
                /// or checks the existing one.
                #vis async fn connect(#client: &#private::async_nats::Client) -> #result<Self, #error> {
                    Self::builder().connect(#client).await
                }

                /// A builder of the bucket settings, starting from the declaration.
                #vis fn builder() -> #builder #ty_generics {
                    #builder {
                        options: #private::JetStreamOptions::new(#stream, #subject),
                        message: #private::PhantomData,
                    }
                }

                /// Stores `message` under its key: `Put::Inserted`, `Put::Replaced` with the
                /// message it replaced, or `Put::Stale` with `message` when the stored one's
                /// version is not older (nothing changed). A failure hands the message back.
                #vis async fn put_async(&self, #m: #message) -> #result<#private::Put<#message>, #private::JetStreamPushError<#message>> {
                    self.inner.put(#m).await
                }

                /// The message stored under `key`.
                #vis async fn get_async(&self, #key: &#key_ty) -> #result<#private::Option<#message>, #error> {
                    self.inner.get(#key).await
                }

                /// The message stored under `key`, with the key's revision (the bucket's
                /// sequence number of its last change).
                #vis async fn get_entry_async(&self, #key: &#key_ty) -> #result<#private::Option<#private::MapRevision<#message>>, #error> {
                    self.inner.get_entry(#key).await
                }

                /// Removes the entry under `key` and returns its message.
                #vis async fn remove_async(&self, #key: &#key_ty) -> #result<#private::Option<#message>, #error> {
                    self.inner.remove(#key).await
                }

                /// The runtime map underneath.
                #vis fn as_jetstream_map(&self) -> &#map {
                    &self.inner
                }
            }

            impl #impl_generics #builder #ty_generics #impl_where {
                #storage_setters

                /// Connects through `client` with these settings.
                #vis async fn connect(self, #client: &#private::async_nats::Client) -> #result<#ident #ty_generics, #error> {
                    #private::Ok(#ident {
                        inner: #private::Arc::new(#private::JetStreamMap::connect(#client, self.options).await?),
                    })
                }
            }

            #[automatically_derived]
            impl #impl_generics #private::Debug for #ident #ty_generics #impl_where {
                fn fmt(&self, __formatter: &mut #private::Formatter<'_>) -> #private::FmtResult {
                    __formatter
                        .debug_struct(#name)
                        .field("bucket", &self.inner.bucket())
                        .finish()
                }
            }
        }
    }
}
