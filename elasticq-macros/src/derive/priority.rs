//! `#[derive(Priority)]`: a fieldless enum whose variants are priority levels, the first the
//! lowest. Parse, check and expand are one step each, small enough to sit together.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident};

use crate::errors::Errors;
use crate::parse::attr::crate_path;

const MAX_LEVELS: usize = 1 << 16;

pub(crate) fn derive(input: &DeriveInput, errors: &mut Errors) -> Option<TokenStream> {
    let krate = crate_path(
        input,
        "a `Priority` enum takes one key, `crate = path`; the queue's keys go on the message \
         deriving ElasticQueue",
        errors,
    );
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(data) => {
            errors.at(
                data.struct_token.span,
                "`Priority` is derived on a fieldless enum whose variants are the levels, \
                 lowest first, e.g. `enum QoS { AtMostOnce, AtLeastOnce, ExactlyOnce }`; for an \
                 integer priority mark the message's field `#[elastic_queue(priority(levels = N))]`",
            );
            return None;
        }
        Data::Union(data) => {
            errors.at(
                data.union_token.span,
                "`Priority` is derived on a fieldless enum, e.g. `enum QoS { AtMostOnce, \
                 AtLeastOnce, ExactlyOnce }`",
            );
            return None;
        }
    };
    if data.variants.is_empty() {
        errors.at(
            input.ident.span(),
            "a priority enum needs at least one variant: each variant is a level, lowest first",
        );
    }
    if data.variants.len() > MAX_LEVELS {
        errors.at(
            input.ident.span(),
            format!("a priority enum may have at most {MAX_LEVELS} variants"),
        );
    }
    for variant in &data.variants {
        if let Some((_, discriminant)) = &variant.discriminant {
            errors.spanned(
                discriminant,
                format!(
                    "a priority level's rank is its position, not a discriminant: remove \
                     `= {}` and list the variants lowest first",
                    quote::ToTokens::to_token_stream(discriminant)
                ),
            );
        }
        if !matches!(variant.fields, Fields::Unit) {
            errors.spanned(
                &variant.fields,
                format!(
                    "a priority level carries no data: make `{}` a unit variant",
                    variant.ident
                ),
            );
        }
    }
    if !data
        .variants
        .iter()
        .all(|v| matches!(v.fields, Fields::Unit))
    {
        return None;
    }

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let private = match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    };
    let variants: Vec<&Ident> = data.variants.iter().map(|v| &v.ident).collect();
    let count = variants.len();
    let levels = 0..count;
    let levels_back = 0..count;
    let level = Ident::new("__level", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    let name = syn::LitStr::new(&ident.to_string(), ident.span());
    let names = variants
        .iter()
        .map(|variant| syn::LitStr::new(&variant.to_string(), variant.span()));
    Some(quote! {
        #[automatically_derived]
        impl #impl_generics #private::Priority for #ident #ty_generics #where_clause {
            const LEVELS: #usize = #count;
            const NAMES: &'static [&'static ::core::primitive::str] = &[#(#names),*];

            #[inline]
            fn level(&self) -> #usize {
                match self {
                    #(Self::#variants => #levels,)*
                }
            }

            fn from_level(#level: #usize) -> #private::Option<Self> {
                match #level {
                    #(#levels_back => #private::Some(Self::#variants),)*
                    _ => #private::None,
                }
            }
        }

        // A priority is persisted as its level, so a persisted message may carry one.
        #[automatically_derived]
        impl #impl_generics #private::Codec for #ident #ty_generics #where_clause {
            fn encode(&self, __out: &mut #private::Vec<::core::primitive::u8>) {
                #private::encode_varint(<Self as #private::Priority>::level(self) as ::core::primitive::u64, __out)
            }

            fn decode(__input: &mut &[::core::primitive::u8]) -> #private::Result<Self, #private::DecodeError> {
                let __level = #private::decode_varint(__input)?;
                match <Self as #private::Priority>::from_level(__level as #usize) {
                    #private::Some(__value) => #private::Ok(__value),
                    #private::None => #private::Err(#private::DecodeError::invalid(
                        #name,
                        #private::format!("no level {}", __level),
                    )),
                }
            }
        }
    })
}
