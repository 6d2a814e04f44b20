//! The generated queue's permits: `try_reserve_for`/`reserve_for` on every queue that can
//! hold places, and `try_reserve`, `try_reserve_many`, `reserve` and `reserve_many` on a
//! queue of one lane, where a place needs no message to say which lane it is in.
//!
//! A queue with priority levels or partitions holds a place in the lane of a given message
//! (its level and partition), since a permit's push cannot be refused and so cannot move to
//! another lane. Map mode holds no places (a put may replace an entry instead of taking
//! one), and a persisted queue's push writes its record first, which can fail: neither has
//! permits.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::layers::Api;
use super::{Cx, QueueSpec};

pub(super) fn room_methods(spec: &QueueSpec<'_>, cx: &Cx) -> TokenStream {
    if spec.layers.map || cx.persisted {
        return TokenStream::new();
    }
    let Cx {
        private, inner_ref, ..
    } = cx;
    let (vis, message) = (spec.vis, &spec.message);
    let like = Ident::new("__like", Span::mixed_site());
    let n = Ident::new("__n", Span::mixed_site());
    let usize = quote!(::core::primitive::usize);
    // The lanes hold places for any message that is `Send` (their engines are shared); the
    // bound is checked where a method is called, so a queue of other messages still builds.
    let send = quote!(for<'__m> #message: ::core::marker::Send);
    let room_of = |like: TokenStream| {
        quote! {
            match #private::Lane::room_for(#inner_ref, #like) {
                #private::Some(__room) => __room,
                // Every engine under a FIFO queue holds places.
                #private::None => ::core::unreachable!("a FIFO lane holds places"),
            }
        }
    };
    let room_of_like = room_of(quote!(#private::Some(#like)));
    let for_any_lane = quote! {
        /// Holds a place for `like`'s lane (its priority level and partition) now, or says
        /// why it cannot: `NoRoom::Full` when queued messages and held places fill that
        /// lane's maximum, `NoRoom::Closed`. The permit's `push` of a message of the same
        /// lane cannot fail; dropping the permit gives the place back.
        #vis fn try_reserve_for(&self, #like: &#message) -> #private::Result<#private::Permit<'_, #message>, #private::NoRoom>
        where
            #send,
        {
            #private::Permit::try_new(#room_of_like, &self.signals)
        }
    };
    let async_for_any_lane = quote! {
        /// Waits, without blocking the thread, for a place in `like`'s lane (its priority
        /// level and partition), as tokio's `Sender::reserve` waits for a slot; `Err` only
        /// once the queue is closed. Cancel-safe: dropping the future holds nothing.
        #vis fn reserve_for(&self, #like: &#message) -> #private::ReserveAsync<'_, #message>
        where
            #send,
        {
            #private::ReserveAsync::new(#room_of_like, &self.signals)
        }
    };
    // One lane: statically for a derive without priorities or partitions; for
    // `#[elasticq::queue]`, whose message the macro cannot see, when the message says it has
    // one level (`OneLevel`, implemented by the derive for a message without priorities).
    // With priorities, the calls exist behind the same bound, which the message does not
    // meet: calling them is an error that says to use `reserve_for` (see `OneLevel`).
    let one_lane = match (&spec.layers.priority, spec.layers.partitioned) {
        (_, true) => None,
        (Api::Absent, false) => Some(quote!()),
        (Api::Known(_) | Api::AnyHash | Api::Guarded, false) => {
            Some(quote!(for<'__m> #message: #private::OneLevel,))
        }
    };
    let Some(one_level) = one_lane else {
        return quote! {
            #for_any_lane
            #private::tokio_items! { #async_for_any_lane }
        };
    };
    let room = room_of(quote!(#private::None));
    let max = quote!(#private::Lane::config(#inner_ref).get_max_capacity());
    quote! {
        /// Holds a place for one message now, or says why it cannot: `NoRoom::Full` when
        /// queued messages and held places fill the maximum, `NoRoom::Closed`. The permit's
        /// `push` cannot fail; dropping the permit gives the place back.
        #vis fn try_reserve(&self) -> #private::Result<#private::Permit<'_, #message>, #private::NoRoom>
        where
            #one_level
            #send,
        {
            #private::Permit::try_new(#room, &self.signals)
        }

        /// Holds places for `n` messages now, all or none, handed out as permits one by one;
        /// the places not handed out are given back when the `Permits` are dropped.
        #vis fn try_reserve_many(&self, #n: #usize) -> #private::Result<#private::Permits<'_, #message>, #private::NoRoom>
        where
            #one_level
            #send,
        {
            #private::Permits::try_new(#room, &self.signals, #n)
        }

        #for_any_lane

        #private::tokio_items! {
            /// Waits, without blocking the thread, for a place for one message, as tokio's
            /// `Sender::reserve` waits for a slot; `Err(Closed)` only once the queue is
            /// closed. The permit's `push` cannot fail, and dropping an unused permit gives
            /// its place back. Cancel-safe: dropping the future before it completes holds
            /// nothing and loses no wake-up, so a message kept until the permit is granted is
            /// never lost to a cancelled send.
            #vis fn reserve(&self) -> #private::ReserveAsync<'_, #message>
            where
                #one_level
                #send,
            {
                #private::ReserveAsync::new(#room, &self.signals)
            }

            /// Waits for `n` places together, as tokio's `Sender::reserve_many`; completes at
            /// once with `NoRoom::Full` when `n` exceeds the maximum (it could never be held),
            /// and with `NoRoom::Closed` once the queue is closed. Cancel-safe.
            #vis fn reserve_many(&self, #n: #usize) -> #private::ReserveManyAsync<'_, #message>
            where
                #one_level
                #send,
            {
                #private::ReserveManyAsync::new(#room, &self.signals, #n, #max)
            }

            #async_for_any_lane
        }
    }
}
