//! What an input with errors still expands to, next to its errors, so that the user sees the
//! mistakes in the declaration and not follow-on errors everywhere the declaration is used
//! (thiserror's `fallback.rs`).
//!
//! The fallback is kept as small as what prevents the follow-on errors:
//! - `#[derive(ElasticQueue)]` on `Foo`: the queue type (`FooQueue`, or the declared `name`)
//!   with `Foo`'s visibility and generics, and `impl Message for Foo` naming it. A use of
//!   `FooQueue::new()` then says "no function `new`" rather than "cannot find type
//!   `FooQueue`", and an `#[elasticq::queue(message = Foo)]` elsewhere does not add "`Foo` is
//!   not an elasticq message" to the real error. The queue gets no methods: stubs would have
//!   to guess signatures that depend on the very keys that were rejected, and a wrong guess
//!   would be a follow-on error of its own.
//! - `#[elasticq::queue(...)]` on an item: the item as written, so that code naming the
//!   struct still resolves it.
//!
//! The `Priority` and `Codec` derives have no fallback: a rejected one leaves its trait
//! unimplemented, and the message that uses the type reports that on the field, which is
//! where the user looks next anyway.
//!
//! Both fallbacks are `#[allow(dead_code)]`: an unused fallback must not add a warning to
//! the errors.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens as _};
use syn::{DeriveInput, Fields, GenericParam, Generics, Item, LitStr};

use crate::parse::attr::QueueAttrs;

/// The errors of a rejected `#[derive(ElasticQueue)]`, and the queue type and `Message` impl
/// its other uses need to resolve.
pub(crate) fn derive(
    input: &DeriveInput,
    attrs: Option<&QueueAttrs>,
    errors: syn::Error,
) -> TokenStream {
    let errors = errors.into_compile_error();
    let private = match attrs.and_then(|attrs| attrs.krate.as_ref()) {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    };
    let ident = &input.ident;
    let vis = &input.vis;
    let queue = attrs
        .and_then(|attrs| attrs.name.clone())
        .unwrap_or_else(|| format_ident!("{}Queue", ident));
    let generics = &input.generics;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let phantom = phantom(generics, &quote!(#private::PhantomData));
    let name = LitStr::new(&ident.to_string(), ident.span());
    let doc = format!(
        "The queue `#[derive(ElasticQueue)]` generates for `{ident}`, once its declaration \
         compiles."
    );
    quote! {
        #errors

        #[doc = #doc]
        #[allow(dead_code)]
        #vis struct #queue #generics (#phantom) #where_clause;

        #[automatically_derived]
        impl #impl_generics #private::Message for #ident #ty_generics #where_clause {
            type Queue = #queue #ty_generics;
            type Lanes<__E: #private::Lane<Self>> = __E;
            const NAME: &'static ::core::primitive::str = #name;
        }
    }
}

/// The errors of a rejected `#[elasticq::queue]`, and the item it was written on: as written,
/// but for a unit struct with generic parameters (itself a mistake), which gets a field
/// using them so that it compiles.
pub(crate) fn queue(item: &Item, errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    let item = match item {
        Item::Struct(item)
            if matches!(item.fields, Fields::Unit) && !item.generics.params.is_empty() =>
        {
            let (vis, ident, generics) = (&item.vis, &item.ident, &item.generics);
            let phantom = phantom(generics, &quote!(::core::marker::PhantomData));
            let where_clause = &generics.where_clause;
            quote!(#vis struct #ident #generics (#phantom) #where_clause;)
        }
        other => other.to_token_stream(),
    };
    quote! {
        #errors
        #[allow(dead_code)]
        #item
    }
}

/// `PhantomData` of every type and lifetime parameter, so that a struct compiles whatever
/// generics it has.
fn phantom(generics: &Generics, phantom_data: &TokenStream) -> TokenStream {
    let used = generics.params.iter().filter_map(|param| match param {
        GenericParam::Type(param) => {
            let ident = &param.ident;
            Some(quote!(#ident))
        }
        GenericParam::Lifetime(param) => {
            let lifetime = &param.lifetime;
            Some(quote!(&#lifetime ()))
        }
        GenericParam::Const(_) => None,
    });
    quote!(#phantom_data<fn() -> (#(#used,)*)>)
}
