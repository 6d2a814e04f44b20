//! The hooks a queue installs on its lanes when it is built: the declared `weight` function
//! (for `capacity(max_bytes = N)` and `stats().bytes`) and the builder's `on_evict` callback
//! (for `overflow = drop_oldest`), set with `Lane::set_hooks` on the built composition before
//! it is wrapped (`Instrumented`) and shared.
//!
//! A map-mode queue has neither. A persisted queue's lanes hold `Recorded<M>`: its hooks go
//! to `Persistent::open_with_hooks`, which weighs each record (by the `weight` function, or
//! the record's length) and acknowledges evicted messages in the log before the callback
//! gets them.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens as _};
use syn::{Ident, Path};

use super::{respan, Cx, QueueSpec};

/// Whether the queue's lanes take hooks of its message.
pub(super) fn supported(spec: &QueueSpec<'_>) -> bool {
    !spec.layers.map
}

/// What the builder holds and does for the hooks.
pub(super) struct Hooks {
    /// The builder's `hooks` field.
    pub(super) field: TokenStream,
    /// Its value in `builder()`: the declared weight function, if any.
    pub(super) init: TokenStream,
    /// In `build`: sets the hooks on `__inner`, the built composition (a persisted queue
    /// hands them to `open_with_hooks` instead).
    pub(super) install: TokenStream,
    /// In `builder()`, for a queue that cannot hold hooks: the type check of `weight`.
    pub(super) check: TokenStream,
}

impl Hooks {
    pub(super) fn of(spec: &QueueSpec<'_>, cx: &Cx) -> Self {
        let (private, message) = (&cx.private, &spec.message);
        let weight = spec.attrs.weight.as_ref().map(|weight| {
            let path = resolve_self(&weight.value, &spec.self_type, weight.span);
            let binding = Ident::new("__weight", Span::mixed_site());
            // A function of another signature is a type error on the user's path, naming the
            // type it must have, "expected due to" the `weight` key.
            let key = spec.attrs.weight_key.unwrap_or(weight.span);
            let expected = respan(quote!(fn(&#message) -> ::core::primitive::usize), key);
            let check = quote_spanned! {key=>
                let #binding: #expected = #path;
            };
            (binding, check)
        });
        if !supported(spec) {
            return Self {
                field: TokenStream::new(),
                init: TokenStream::new(),
                install: TokenStream::new(),
                check: weight
                    .map(|(binding, check)| quote!(#check let _ = #binding;))
                    .unwrap_or_default(),
            };
        }
        let init = match weight {
            Some((binding, check)) => quote! {
                hooks: {
                    #check
                    #private::Hooks::new().weight(#binding)
                },
            },
            None => quote!(hooks: #private::Hooks::new(),),
        };
        Self {
            field: quote!(hooks: #private::Hooks<#message>,),
            init,
            install: match cx.persisted {
                true => TokenStream::new(),
                false => quote!(#private::Lane::set_hooks(&mut __inner, &self.hooks);),
            },
            check: TokenStream::new(),
        }
    }
}

/// `path` with a leading `Self` replaced by `self_type`, which is what `Self` means in the
/// attribute (the message on the derive, the queue in `#[elasticq::queue]`): the generated
/// code that names the path is inside the builder, where `Self` is the builder.
fn resolve_self(path: &Path, self_type: &TokenStream, span: Span) -> TokenStream {
    let first = path.segments.first();
    let is_self = path.leading_colon.is_none()
        && path.segments.len() > 1
        && first.is_some_and(|segment| segment.ident == "Self" && segment.arguments.is_none());
    if !is_self {
        return path.to_token_stream();
    }
    let self_span = first.map_or(span, |segment| segment.ident.span());
    let ty = respan(self_type.clone(), self_span);
    let rest = path.segments.iter().skip(1);
    quote_spanned!(self_span=> <#ty> #(:: #rest)*)
}
