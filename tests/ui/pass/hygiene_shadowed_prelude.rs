//! The generated code must not be captured by user items that shadow the prelude and std:
//! `Result`, `Option`, `Vec`, `Box`, `String`, `Ok`, `Err`, `Some`, `None`, `Send`, `Sync`,
//! `Debug`, `Clone`, `Default`, `Iterator`, `IntoIterator`, `PhantomData`, `Duration`,
//! `Config`, `Error`, the primitive types `usize`, `str`, `f64` and `bool`, the macro
//! `stringify!`, and local modules named `core`, `std` and `__private`.
#![allow(dead_code, non_snake_case, non_camel_case_types, unused_macros, non_upper_case_globals)]

struct Result;
struct Option;
struct Vec;
struct Box;
struct String;
struct Duration;
struct PhantomData;
struct Formatter;
struct Config;
struct Error;
struct Stats;
fn Ok() {}
fn Err() {}
fn Some() {}
const None: () = ();
trait Send {}
trait Sync {}
trait Sized {}
trait Debug {}
trait Clone {}
trait Default {}
trait Iterator {}
trait IntoIterator {}
trait From {}
trait Into {}
type usize = u8;
type str = u8;
type f64 = u8;
type bool = u8;

macro_rules! stringify {
    ($($tokens:tt)*) => {
        0
    };
}

mod core {}
mod std {}
mod __private {}

#[derive(::elasticq::ElasticQueue, ::core::fmt::Debug, ::core::cmp::PartialEq)]
#[elastic_queue(engine = lock_free, capacity(initial = 2, min = 1, max = 4))]
struct Shadowed {
    value: u32,
}

#[derive(::elasticq::ElasticQueue, ::core::fmt::Debug, ::core::cmp::PartialEq)]
#[elastic_queue(engine = locked, growth_factor = 1.5, shrink_threshold = 0.5)]
enum ShadowedEvent {
    Started,
    Stopped,
}

#[::elasticq::queue(message = Shadowed, engine = locked, capacity(max = 8))]
struct ShadowedLog;

fn main() {
    let queue = ShadowedQueue::new().unwrap();
    queue.push(Shadowed { value: 1 }).unwrap();
    queue.push_batch([Shadowed { value: 2 }]).unwrap();
    assert_eq!(queue.pop(), ::core::option::Option::Some(Shadowed { value: 1 }));
    assert_eq!(queue.drain().len(), 2 - 1);
    let _ = ::std::format!("{:?} {:?}", queue, ShadowedQueue::builder());

    let events = ShadowedEventQueue::new().unwrap();
    events.push(ShadowedEvent::Started).unwrap();
    assert_eq!(
        events.pop_timeout(::core::time::Duration::from_millis(1)),
        ::core::result::Result::Ok(ShadowedEvent::Started)
    );

    let log = ShadowedLog::new().unwrap();
    log.push(Shadowed { value: 3 }).unwrap();
    assert_eq!(log.pop_batch(4), ::std::vec![Shadowed { value: 3 }]);
}
