//! The constructors: `new()` for a queue held in memory, `open(dir)` for a persisted one,
//! and what the builder's `build` calls to make the composition.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::layers::Composition;
use super::{respan, Cx, QueueSpec};

pub(super) struct Constructor {
    /// `new` or `open`, inside the queue's `impl` block.
    pub(super) method: TokenStream,
    /// The expression `build` matches on: the composition, built or opened.
    pub(super) build: TokenStream,
    /// `build`'s doc comment.
    pub(super) build_doc: TokenStream,
}

pub(super) fn constructor(spec: &QueueSpec<'_>, cx: &Cx, composition: &Composition) -> Constructor {
    let Cx {
        private,
        engine_trait,
        ..
    } = cx;
    let (vis, message) = (spec.vis, &spec.message);
    let at = composition.at;
    let layers = &composition.layers;
    let (method, build, build_doc) = if cx.persisted {
        (
            quote! {
                /// Opens the queue's log in `dir` (created if needed) with the declared
                /// settings, and recovers what it holds: every message not acknowledged, in
                /// order. A second queue on the same directory, in this process or another,
                /// gets `elasticq::PersistError::Locked`; a damaged or foreign file is an
                /// error naming it and the offset.
                #vis fn open(__dir: impl #private::AsRef<#private::Path>) -> #private::Result<Self, #private::Error> {
                    Self::builder().dir(__dir).build()
                }
            },
            // Spanned on the message type: a message without an encoding is reported there,
            // once (only opening a log needs `Codec`).
            {
                let open = respan(quote!(#private::Persistent::open_with_hooks), at);
                quote_spanned!(at=> #open(self.config, self.persist, self.hooks))
            },
            quote! {
                /// Checks every setting, opens the log and recovers it (see `open`). An
                /// invalid setting is `Err(elasticq::Error::InvalidConfig)` naming the field;
                /// a log that cannot be opened is `Err(elasticq::Error::Persist)`.
            },
        )
    } else {
        (
            quote! {
                /// Builds the queue with the declared settings. `Err` only if run-time overrides
                /// are invalid, which `new` has none of; the declaration was checked when it
                /// compiled.
                #vis fn new() -> #private::Result<Self, #private::Error> {
                    Self::builder().build()
                }
            },
            quote!(<#layers as #engine_trait<#message>>::with_config(self.config)),
            quote! {
                /// Checks every setting and builds the queue; an invalid one is
                /// `Err(elasticq::Error::InvalidConfig)` naming the field, never a panic.
            },
        )
    };
    Constructor {
        method,
        build,
        build_doc,
    }
}
