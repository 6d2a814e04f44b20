//! The traits a message implements: `Message` always; `Prioritized`, `PartitionKey` and
//! `MapMessage` when its fields say so. The runtime layers read the message through them,
//! which is how a queue declared elsewhere with `#[elasticq::queue]` gets its priorities and
//! routing without seeing the message's definition.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Fields, Ident, LitStr};

use crate::parse::attr::{ContainerKey, Mode};
use crate::parse::read::Spanned;
use crate::parse::roles::{PriorityKind, VariantLevel};
use crate::parse::Message;

pub(super) fn message_impls(
    message: &Message<'_>,
    private: &TokenStream,
    queue: &Ident,
) -> TokenStream {
    let ident = message.ident;
    let (impl_generics, ty_generics, where_clause) = message.generics.split_for_impl();
    let name = LitStr::new(&ident.to_string(), ident.span());
    let lanes_param = Ident::new("__E", Span::mixed_site());
    let prioritized = message.roles.priority.is_some() || !message.roles.variant_levels.is_empty();
    let lanes = if prioritized {
        quote!(#private::PriorityLevels<Self, #lanes_param>)
    } else {
        quote!(#lanes_param)
    };
    let route = route(message, private);
    let is_map = matches!(
        message.attrs.mode,
        Some(Spanned {
            value: Mode::Map,
            ..
        })
    );
    let map_mode = is_map.then(|| {
        quote!(
            const MAP_MODE: ::core::primitive::bool = true;
        )
    });
    let head = quote!(impl #impl_generics);
    let this = quote!(#ident #ty_generics #where_clause);

    let priority = prioritized.then(|| priority_impl(message, private, &head, &this));
    let one_level = (!prioritized).then(|| {
        quote! {
            #[automatically_derived]
            #head #private::OneLevel for #this {}
        }
    });
    let level = prioritized.then(|| {
        quote! {
            const LEVEL_COUNT: ::core::primitive::usize = <Self as #private::Prioritized>::LEVELS;

            #[inline]
            fn level(&self) -> ::core::primitive::usize {
                match <Self as #private::Prioritized>::priority(self) {
                    #private::Some(__level) => __level,
                    #private::None => ::core::primitive::usize::MAX,
                }
            }
        }
    });
    // Every FIFO message can be persisted by a queue that also has its encoding; map mode
    // keeps entries by key, which the log does not model.
    let durable = (!is_map).then(|| {
        let recorded = if prioritized {
            quote!(#private::PriorityLevels<#private::Recorded<Self>, #lanes_param>)
        } else {
            quote!(#lanes_param)
        };
        quote! {
            #[automatically_derived]
            #head #private::Durable for #this {
                type RecordedLanes<#lanes_param: #private::Lane<#private::Recorded<Self>>> = #recorded;
            }
        }
    });
    let partition_key = partition_key_impl(message, private, &head, &this);
    let map = map_impl(message, private, &head, &this);

    quote! {
        #[automatically_derived]
        #head #private::Message for #this {
            type Queue = #queue #ty_generics;
            type Lanes<#lanes_param: #private::Lane<Self>> = #lanes;
            const NAME: &'static ::core::primitive::str = #name;
            #map_mode
            #route
            #level
        }
        #durable
        #priority
        #one_level
        #partition_key
        #map
    }
}

/// `Message::route`: the stable hash of the partition key, when there is one.
fn route(message: &Message<'_>, private: &TokenStream) -> Option<TokenStream> {
    let key = if let Some(field) = &message.roles.partition_key {
        let member = &field.member;
        let ty = &field.ty;
        // Spanned on the field's type: a key that is not `Hash` is reported there.
        quote_spanned!(ty.span()=> #private::stable_hash::<#ty>(&self.#member))
    } else if let Some(Spanned { value, span }) = &message.attrs.partition_key {
        match value {
            ContainerKey::Whole => quote_spanned!(*span=> #private::stable_hash::<Self>(self)),
            ContainerKey::Function(path) => {
                quote_spanned!(path.span()=> #private::stable_hash(&#path(self)))
            }
        }
    } else {
        return None;
    };
    Some(quote! {
        #[inline]
        fn route(&self) -> #private::Option<::core::primitive::u64> {
            #private::Some(#key)
        }
    })
}

fn priority_impl(
    message: &Message<'_>,
    private: &TokenStream,
    head: &TokenStream,
    this: &TokenStream,
) -> TokenStream {
    let usize = quote!(::core::primitive::usize);
    let level = Ident::new("__level", Span::mixed_site());
    let mut level_names = None;
    let (level_ty, levels, priority, level_index) = match &message.roles.priority {
        Some(field) => {
            let member = &field.field.member;
            let ty = &field.field.ty;
            match &field.kind {
                // Spanned on the field's type: a type that is not a `Priority` is reported
                // there, and only there.
                PriorityKind::Typed => (
                    {
                        level_names = Some(quote_spanned!(ty.span()=>
                            const LEVEL_NAMES: &'static [&'static ::core::primitive::str] =
                                <#ty as #private::Priority>::NAMES;));
                        quote!(#ty)
                    },
                    quote_spanned!(ty.span()=> <#ty as #private::Priority>::LEVELS),
                    quote_spanned!(ty.span()=>
                        #private::Some(<#ty as #private::Priority>::level(&self.#member))),
                    quote_spanned!(ty.span()=>
                        #private::Some(<#ty as #private::Priority>::level(#level))),
                ),
                PriorityKind::Integer { levels } => {
                    let n = levels.value;
                    (
                        quote!(#ty),
                        quote!(#n),
                        quote_spanned!(ty.span()=>
                            <#ty as #private::IntegerPriority>::to_level(self.#member, #n)),
                        quote_spanned!(ty.span()=>
                            <#ty as #private::IntegerPriority>::to_level(*#level, #n)),
                    )
                }
            }
        }
        None => {
            let variants = &message.roles.variant_levels;
            let count = variants
                .iter()
                .filter_map(|v| v.level.as_ref().map(|l| l.value + 1))
                .max()
                .unwrap_or(1);
            let arms = variants.iter().map(variant_arm);
            (
                quote!(#usize),
                quote!(#count),
                quote!(#private::Some(match self { #(#arms)* })),
                quote!(if *#level < #count { #private::Some(*#level) } else { #private::None }),
            )
        }
    };
    quote! {
        #[automatically_derived]
        #head #private::Prioritized for #this {
            type Level = #level_ty;
            const LEVELS: #usize = #levels;
            #level_names
            #[inline]
            fn priority(&self) -> #private::Option<#usize> {
                #priority
            }
            #[inline]
            fn level_index(#level: &Self::Level) -> #private::Option<#usize> {
                #level_index
            }
        }
    }
}

/// `Variant { .. } => level,` (level 0 for a variant without `priority = N`).
fn variant_arm(variant: &VariantLevel<'_>) -> TokenStream {
    let ident = &variant.variant.ident;
    let level = variant.level.as_ref().map_or(0, |level| level.value);
    let pattern = match &variant.variant.fields {
        Fields::Named(_) => quote!(Self::#ident { .. }),
        Fields::Unnamed(_) => quote!(Self::#ident(..)),
        Fields::Unit => quote!(Self::#ident),
    };
    quote!(#pattern => #level,)
}

fn partition_key_impl(
    message: &Message<'_>,
    private: &TokenStream,
    head: &TokenStream,
    this: &TokenStream,
) -> Option<TokenStream> {
    let key = if let Some(field) = &message.roles.partition_key {
        let ty = &field.ty;
        quote!(#ty)
    } else if let Some(Spanned {
        value: ContainerKey::Whole,
        ..
    }) = &message.attrs.partition_key
    {
        quote!(Self)
    } else {
        return None;
    };
    Some(quote! {
        #[automatically_derived]
        #head #private::PartitionKey for #this {
            type Key = #key;
        }
    })
}

fn map_impl(
    message: &Message<'_>,
    private: &TokenStream,
    head: &TokenStream,
    this: &TokenStream,
) -> Option<TokenStream> {
    if !matches!(
        message.attrs.mode,
        Some(Spanned {
            value: Mode::Map,
            ..
        })
    ) {
        return None;
    }
    let key = message.roles.key.as_ref()?;
    let (key_member, key_ty) = (&key.member, &key.ty);
    let key_type = quote_spanned!(key_ty.span()=> type Key = #key_ty;);
    let (version_type, version) = match &message.roles.version {
        Some(field) => {
            let (member, ty) = (&field.member, &field.ty);
            (
                quote_spanned!(ty.span()=> type Version = #ty;),
                quote!(#private::Some(&self.#member)),
            )
        }
        None => (
            quote!(
                type Version = ();
            ),
            quote!(#private::None),
        ),
    };
    Some(quote! {
        #[automatically_derived]
        #head #private::MapMessage for #this {
            #key_type
            #version_type
            #[inline]
            fn key(&self) -> &Self::Key {
                &self.#key_member
            }
            #[inline]
            fn version(&self) -> #private::Option<&Self::Version> {
                #version
            }
        }
    })
}
