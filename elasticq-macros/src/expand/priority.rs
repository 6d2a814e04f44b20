//! The priority layer's calls: `pop_priority` and `len_priority`, naming a level by the
//! priority field's type (or, for `#[elasticq::queue]`, by whatever type the message's
//! levels have, checked where the call is made).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::layers::Api;
use super::{Cx, QueueSpec};

/// `pop_priority` and `len_priority`.
pub(super) fn priority_methods(spec: &QueueSpec<'_>, cx: &Cx) -> TokenStream {
    let Cx {
        private,
        lane_trait: lane,
        inner_ref,
        ..
    } = cx;
    let (vis, message) = (spec.vis, &spec.message);
    let level = Ident::new("__level", Span::mixed_site());
    let level_param = Ident::new("__L", Span::mixed_site());
    let (generics, level_ty, bound) = match &spec.layers.priority {
        Api::Absent | Api::AnyHash => return TokenStream::new(),
        Api::Known(ty) => (quote!(), ty.clone(), quote!()),
        Api::Guarded => (
            quote!(<#level_param>),
            quote!(#level_param),
            quote!(where #message: #private::LevelOf<#level_param>),
        ),
    };
    let index = match &spec.layers.priority {
        Api::Guarded => {
            quote!(<#message as #private::LevelOf<#level_param>>::index_of(&#level))
        }
        _ => quote!(<#message as #private::Prioritized>::level_index(&#level)),
    };
    let guarded_doc = matches!(spec.layers.priority, Api::Guarded).then(|| {
        quote!(#[doc = "\n\nCallable when the message has priority levels; `level` has the type of its priority field."])
    });
    quote! {
        /// Pops the oldest message of priority `level`, whatever the other levels hold;
        /// `None` if that level is empty or `level` is out of range.
        #guarded_doc
        #vis fn pop_priority #generics (&self, #level: #level_ty) -> #private::Option<#message> #bound {
            match #index {
                #private::Some(__index) => {
                    let __popped = #lane::pop_level(#inner_ref, __index);
                    if __popped.is_some() {
                        self.signals.popped();
                    }
                    __popped
                }
                #private::None => #private::None,
            }
        }

        /// How many messages of priority `level` are queued (0 for a level out of range).
        #guarded_doc
        #vis fn len_priority #generics (&self, #level: #level_ty) -> ::core::primitive::usize #bound {
            match #index {
                #private::Some(__index) => #lane::len_level(#inner_ref, __index),
                #private::None => 0,
            }
        }
    }
}
