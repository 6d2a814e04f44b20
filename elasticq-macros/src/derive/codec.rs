//! `#[derive(Codec)]`: a struct or enum encoded field by field, in declaration order; an
//! enum's variant as a varint tag (its position) before its fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{parse_quote, Data, DeriveInput, Fields, GenericParam, Ident, LitStr};

use crate::errors::Errors;
use crate::parse::attr::crate_path;

pub(crate) fn derive(input: &DeriveInput, errors: &mut Errors) -> Option<TokenStream> {
    // A type deriving ElasticQueue too carries the queue's keys, which that derive checks.
    let krate = crate_path(input, None, errors);
    let private = match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::elasticq::__private),
    };
    if let Data::Union(data) = &input.data {
        errors.at(
            data.union_token.span,
            "`Codec` cannot be derived for a union: decoding could not tell which field is \
             set; use an enum",
        );
        return None;
    }
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    for param in &mut generics.params {
        if let GenericParam::Type(param) = param {
            param.bounds.push(parse_quote!(#private::Codec));
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let out = Ident::new("__out", Span::mixed_site());
    let input_bytes = Ident::new("__input", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);

    let (encode, decode, min_len) = match &input.data {
        Data::Struct(data) => {
            let bindings = bindings(&data.fields);
            let pattern = pattern(quote!(Self), &data.fields, &bindings);
            let encodes = encode_fields(&data.fields, &bindings, &out, &private);
            let decoded = construct(quote!(Self), &data.fields, &input_bytes, &private);
            let mins = data.fields.iter().map(|field| {
                let ty = &field.ty;
                quote_spanned!(ty.span()=> <#ty as #private::Codec>::MIN_ENCODED_LEN)
            });
            (
                quote! {
                    let #pattern = self;
                    #(#encodes)*
                },
                quote!(#private::Ok(#decoded)),
                quote!(0 #(+ #mins)*),
            )
        }
        Data::Enum(data) => {
            let name = LitStr::new(&ident.to_string(), ident.span());
            let mut encode_arms = Vec::new();
            let mut decode_arms = Vec::new();
            for (tag, variant) in data.variants.iter().enumerate() {
                let variant_ident = &variant.ident;
                let tag = tag as u64;
                let bindings = bindings(&variant.fields);
                let pattern = pattern(quote!(Self::#variant_ident), &variant.fields, &bindings);
                let encodes = encode_fields(&variant.fields, &bindings, &out, &private);
                encode_arms.push(quote! {
                    #pattern => {
                        #private::encode_varint(#tag, #out);
                        #(#encodes)*
                    }
                });
                let decoded = construct(
                    quote!(Self::#variant_ident),
                    &variant.fields,
                    &input_bytes,
                    &private,
                );
                decode_arms.push(quote!(#tag => #private::Ok(#decoded),));
            }
            (
                quote! {
                    match self {
                        #(#encode_arms)*
                    }
                },
                quote! {
                    match #private::decode_varint(#input_bytes)? {
                        #(#decode_arms)*
                        __tag => #private::Err(#private::DecodeError::invalid(
                            #name,
                            #private::format!("unknown variant tag {}", __tag),
                        )),
                    }
                },
                quote!(1),
            )
        }
        Data::Union(_) => return None,
    };

    Some(quote! {
        #[automatically_derived]
        impl #impl_generics #private::Codec for #ident #ty_generics #where_clause {
            const MIN_ENCODED_LEN: #usize = #min_len;

            #[allow(unused_variables)]
            fn encode(&self, #out: &mut #private::Vec<::core::primitive::u8>) {
                #encode
            }

            fn decode(
                #input_bytes: &mut &[::core::primitive::u8],
            ) -> #private::Result<Self, #private::DecodeError> {
                #decode
            }
        }
    })
}

/// A `__field_N` binding per field.
fn bindings(fields: &Fields) -> Vec<Ident> {
    (0..fields.len())
        .map(|index| format_ident!("__field_{}", index, span = Span::mixed_site()))
        .collect()
}

/// `Path { a: __field_0, .. }`, `Path(__field_0, ..)` or `Path`.
fn pattern(path: TokenStream, fields: &Fields, bindings: &[Ident]) -> TokenStream {
    match fields {
        Fields::Named(named) => {
            let names = named.named.iter().map(|field| &field.ident);
            quote!(#path { #(#names: #bindings),* })
        }
        Fields::Unnamed(_) => quote!(#path(#(#bindings),*)),
        Fields::Unit => path,
    }
}

/// One `encode` call per field, spanned on the field's type so that a type without an
/// encoding is reported there.
fn encode_fields(
    fields: &Fields,
    bindings: &[Ident],
    out: &Ident,
    private: &TokenStream,
) -> Vec<TokenStream> {
    fields
        .iter()
        .zip(bindings)
        .map(|(field, binding)| {
            let ty = &field.ty;
            quote_spanned!(ty.span()=> <#ty as #private::Codec>::encode(#binding, #out);)
        })
        .collect()
}

/// The value built from fields decoded in order.
fn construct(
    path: TokenStream,
    fields: &Fields,
    input: &Ident,
    private: &TokenStream,
) -> TokenStream {
    let decode =
        |ty: &syn::Type| quote_spanned!(ty.span()=> <#ty as #private::Codec>::decode(#input)?);
    match fields {
        Fields::Named(named) => {
            let values = named.named.iter().map(|field| {
                let name = &field.ident;
                let value = decode(&field.ty);
                quote!(#name: #value)
            });
            quote!(#path { #(#values),* })
        }
        Fields::Unnamed(unnamed) => {
            let values = unnamed.unnamed.iter().map(|field| decode(&field.ty));
            quote!(#path(#(#values),*))
        }
        Fields::Unit => path,
    }
}
