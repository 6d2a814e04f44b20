//! `#[elasticq::queue]` declares more queues for one message, each configured its own way,
//! next to the derived one; user attributes and docs on the struct are kept.

use elasticq::{ElasticQueue, PushError};

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(engine = lock_free)]
pub struct Publish {
    seq: u32,
}

#[derive(ElasticQueue, Debug, PartialEq)]
struct Envelope<T> {
    body: T,
}

/// A small, locked audit trail.
#[elasticq::queue(message = Publish, engine = locked, capacity(initial = 1, min = 1, max = 2))]
pub struct AuditQueue;

#[elasticq::queue(message = Publish)]
#[allow(dead_code)]
struct DefaultsQueue;

#[elasticq::queue(
    message = Publish,
    engine = lock_free,
    capacity(max = 64),
    growth_factor = 4,
    shrink_threshold = 0.5,
    crate = ::elasticq,
)]
pub(crate) struct BurstQueue;

#[elasticq::queue(message = crate::Publish, capacity(min = 2))]
struct PathQueue;

#[elasticq::queue(message = Envelope<Vec<u8>>, engine = lock_free)]
struct BytesQueue;

fn main() {
    let derived = PublishQueue::new().unwrap();
    derived.push(Publish { seq: 0 }).unwrap();
    assert_eq!(derived.pop(), Some(Publish { seq: 0 }));

    let audit = AuditQueue::new().unwrap();
    audit.push(Publish { seq: 1 }).unwrap();
    audit.push(Publish { seq: 2 }).unwrap();
    assert_eq!(
        audit.push(Publish { seq: 3 }),
        Err(PushError::Full(Publish { seq: 3 }))
    );
    assert_eq!(audit.pop(), Some(Publish { seq: 1 }));

    let defaults = DefaultsQueue::new().unwrap();
    assert_eq!(defaults.capacity(), 1024);

    let burst = BurstQueue::new().unwrap();
    assert_eq!(burst.config().get_growth_factor(), 4.0);
    assert_eq!(burst.config().get_max_capacity(), 64);
    burst.push(Publish { seq: 4 }).unwrap();
    assert_eq!(burst.pop(), Some(Publish { seq: 4 }));

    let path = PathQueue::new().unwrap();
    assert_eq!(path.config().get_min_capacity(), 2);
    path.push(Publish { seq: 5 }).unwrap();
    assert_eq!(path.pop(), Some(Publish { seq: 5 }));

    let bytes = BytesQueue::builder().max_capacity(8).build().unwrap();
    bytes.push(Envelope { body: vec![1, 2] }).unwrap();
    assert_eq!(bytes.pop(), Some(Envelope { body: vec![1, 2] }));
}
