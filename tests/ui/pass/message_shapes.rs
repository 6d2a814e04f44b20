//! Every shape of message the derive accepts: named, tuple and unit structs, and enums.

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Debug, PartialEq)]
struct Named {
    client: u32,
    seq: u64,
}

#[derive(ElasticQueue, Debug, PartialEq)]
struct Tuple(u16, f32);

#[derive(ElasticQueue, Debug, PartialEq)]
struct Unit;

#[derive(ElasticQueue, Debug, PartialEq)]
enum Event {
    Connected { client: u32 },
    Message(String),
    Disconnected,
}

#[derive(ElasticQueue, Debug, PartialEq)]
enum Empty {}

fn main() {
    let named = NamedQueue::new().unwrap();
    named.push(Named { client: 1, seq: 2 }).unwrap();
    assert_eq!(named.pop(), Some(Named { client: 1, seq: 2 }));

    let tuple = TupleQueue::new().unwrap();
    tuple.push(Tuple(3, 0.5)).unwrap();
    assert_eq!(tuple.pop(), Some(Tuple(3, 0.5)));

    let unit = UnitQueue::new().unwrap();
    unit.push(Unit).unwrap();
    assert_eq!(unit.pop(), Some(Unit));

    let events = EventQueue::new().unwrap();
    events.push(Event::Connected { client: 7 }).unwrap();
    events.push(Event::Message("hi".to_owned())).unwrap();
    events.push(Event::Disconnected).unwrap();
    assert_eq!(events.pop(), Some(Event::Connected { client: 7 }));
    assert_eq!(events.pop(), Some(Event::Message("hi".to_owned())));
    assert_eq!(events.pop(), Some(Event::Disconnected));

    let empty = EmptyQueue::new().unwrap();
    assert_eq!(empty.pop(), None);
}
