//! The `Debug` impls of the queue (its stats) and of its builder (its settings).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, LitStr};

use super::{Cx, QueueSpec};

pub(super) fn debug_impls(spec: &QueueSpec<'_>, cx: &Cx, builder: &Ident) -> TokenStream {
    let Cx {
        private,
        impl_generics,
        ty_generics,
        impl_where,
        engine_trait,
        inner_ref,
        ..
    } = cx;
    let ident = &spec.ident;
    let formatter = Ident::new("__formatter", Span::mixed_site());
    let builder_name = LitStr::new(&builder.to_string(), ident.span());
    let name = LitStr::new(&ident.to_string(), ident.span());
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Debug for #ident #ty_generics #impl_where {
            fn fmt(&self, #formatter: &mut #private::Formatter<'_>) -> #private::FmtResult {
                #formatter
                    .debug_struct(#name)
                    .field("stats", &#engine_trait::stats(#inner_ref))
                    .finish_non_exhaustive()
            }
        }

        #[automatically_derived]
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
