//! An enum message whose variants carry fixed levels (`priority = N`); unmarked variants are
//! level 0, and `pop_priority` names levels by `usize`.

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(fair(max_consecutive = 2))]
enum Event {
    Tick,
    #[elastic_queue(priority = 1)]
    Connected {
        client: u32,
    },
    #[elastic_queue(priority = 3)]
    Alarm(String),
}

fn main() {
    let events = EventQueue::new().unwrap();
    events.push(Event::Tick).unwrap();
    events.push(Event::Connected { client: 7 }).unwrap();
    events.push(Event::Alarm("fire".to_owned())).unwrap();
    assert_eq!(events.len_priority(0), 1);
    assert_eq!(
        events.len_priority(2),
        0,
        "level 2 exists but no variant has it"
    );
    assert_eq!(events.len_priority(4), 0, "out of range");
    assert_eq!(events.stats().levels.len(), 4);
    assert_eq!(events.pop(), Some(Event::Alarm("fire".to_owned())));
    assert_eq!(events.pop_priority(0), Some(Event::Tick));
    assert_eq!(events.pop(), Some(Event::Connected { client: 7 }));
    assert_eq!(events.pop(), None);
}
