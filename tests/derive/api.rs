//! What `#[derive(ElasticQueue)]` and `#[elasticq::queue]` generate, exercised as a user
//! would: every call of the generated API, on each accepted shape of message.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use elasticq::{ElasticQueue, Error, Message, PopError, PushError};

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, capacity(initial = 2, min = 2, max = 8), growth_factor = 2.0)]
/// A message with a public queue: the generated items must carry their own docs.
pub struct Publish {
    client: u32,
    seq: u32,
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(engine = locked, capacity(initial = 4, min = 1, max = 4), shrink_threshold = 0.5)]
struct Reading(u16, f32);

#[derive(ElasticQueue, Debug, PartialEq)]
struct Tick;

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(name = EventLog)]
enum Event {
    Connected { client: u32 },
    Message(String),
    Disconnected,
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(max = 16))]
struct Envelope<T: Send, const N: usize>
where
    T: Clone,
{
    body: T,
    tags: [u8; N],
}

/// Another queue for `Publish`, differently configured.
#[elasticq::queue(message = Publish, engine = locked, capacity(initial = 1, min = 1, max = 2))]
pub struct AuditQueue;

/// A queue for a generic message, with its arguments fixed.
#[elasticq::queue(message = Envelope<String, 2>)]
struct StringEnvelopes;

fn publish(seq: u32) -> Publish {
    Publish { client: 1, seq }
}

#[test]
fn derived_queue_offers_every_call() {
    let queue = PublishQueue::new().expect("declared settings are valid");
    assert_eq!(queue.capacity(), 2);
    assert!(queue.is_empty());
    for seq in 0..8 {
        queue.push(publish(seq)).expect("grows up to max = 8");
    }
    assert_eq!(queue.len(), 8);
    assert_eq!(queue.capacity(), 8);
    assert_eq!(queue.push(publish(8)), Err(PushError::Full(publish(8))));
    assert_eq!(
        queue.push_timeout(publish(9), Duration::from_millis(1)),
        Err(PushError::Full(publish(9)))
    );
    assert_eq!(queue.pop(), Some(publish(0)));
    assert_eq!(queue.pop_batch(2), vec![publish(1), publish(2)]);
    assert_eq!(queue.pop_timeout(Duration::from_millis(1)), Ok(publish(3)));
    let rest = queue.drain();
    assert_eq!(rest.first(), Some(&publish(4)));
    assert_eq!(rest.len(), 4);
    assert_eq!(queue.capacity(), 2, "drained: back at min");
    let batch: Vec<Publish> = (10..19).map(publish).collect();
    assert_eq!(
        queue.push_batch(batch),
        Err(PushError::Full(vec![publish(18)])),
        "the ninth message does not fit max = 8 and comes back"
    );
    assert_eq!(
        queue.pop_batch(100),
        (10..18).map(publish).collect::<Vec<_>>()
    );
    queue.push(publish(20)).expect("room");
    queue.clear();
    assert!(queue.is_empty());
    queue.close();
    assert!(queue.is_closed());
    assert_eq!(queue.push(publish(21)), Err(PushError::Closed(publish(21))));
    assert_eq!(
        queue.pop_timeout(Duration::from_millis(1)),
        Err(PopError::Closed)
    );
    let stats = queue.stats();
    assert_eq!((stats.enqueued, stats.dequeued, stats.len), (17, 17, 0));
    assert_eq!(stats.rejected, 4);
    assert_eq!(queue.config().get_max_capacity(), 8);
}

#[test]
fn builder_overrides_and_rejects_without_panicking() {
    let queue = PublishQueue::builder()
        .initial_capacity(16)
        .min_capacity(4)
        .max_capacity(64)
        .growth_factor(1.5)
        .shrink_threshold(0.1)
        .build()
        .expect("valid overrides");
    assert_eq!(queue.capacity(), 16);
    assert_eq!(queue.config().get_growth_factor(), 1.5);

    let err = PublishQueue::builder()
        .max_capacity(0)
        .build()
        .expect_err("max_capacity 0 is invalid");
    assert!(matches!(
        err,
        Error::InvalidConfig {
            field: "max_capacity",
            ..
        }
    ));
    let err = ReadingQueue::builder()
        .growth_factor(0.5)
        .build()
        .expect_err("a growth factor below 1 is invalid");
    assert!(err.to_string().contains("growth_factor"), "{err}");
}

#[test]
fn tuple_unit_enum_and_generic_messages_get_queues() {
    let readings = ReadingQueue::new().expect("valid");
    readings.push(Reading(1, 0.5)).expect("room");
    assert_eq!(readings.pop(), Some(Reading(1, 0.5)));
    assert_eq!(readings.config().get_shrink_threshold(), 0.5);

    let ticks = TickQueue::new().expect("valid");
    ticks.push(Tick).expect("room");
    assert_eq!(ticks.pop(), Some(Tick));

    let events = EventLog::new().expect("valid");
    events
        .push_batch([
            Event::Connected { client: 7 },
            Event::Message("hi".into()),
            Event::Disconnected,
        ])
        .expect("room");
    assert_eq!(events.pop(), Some(Event::Connected { client: 7 }));
    assert_eq!(events.len(), 2);

    let envelopes = EnvelopeQueue::<u64, 3>::new().expect("valid");
    envelopes
        .push(Envelope {
            body: 5u64,
            tags: [1, 2, 3],
        })
        .expect("room");
    assert_eq!(envelopes.config().get_max_capacity(), 16);
    assert_eq!(envelopes.pop().map(|e| e.body), Some(5));
}

#[test]
fn message_impl_names_the_generated_queue() {
    fn queue_of<M: Message>() -> &'static str {
        std::any::type_name::<M::Queue>()
    }
    assert!(queue_of::<Publish>().ends_with("PublishQueue"));
    assert!(queue_of::<Event>().ends_with("EventLog"));
    assert_eq!(<Reading as Message>::NAME, "Reading");
    assert_eq!(<Envelope<u8, 1> as Message>::NAME, "Envelope");
}

#[test]
fn attribute_queue_is_a_second_configuration_for_the_same_message() {
    let audit = AuditQueue::new().expect("valid");
    audit.push(publish(1)).expect("room");
    audit.push(publish(2)).expect("grows to max = 2");
    assert_eq!(audit.push(publish(3)), Err(PushError::Full(publish(3))));
    assert_eq!(audit.drain(), vec![publish(1), publish(2)]);
    assert_eq!(audit.config().get_max_capacity(), 2);

    let envelopes = StringEnvelopes::builder()
        .max_capacity(4)
        .build()
        .expect("valid");
    envelopes
        .push(Envelope {
            body: "x".to_owned(),
            tags: [0, 1],
        })
        .expect("room");
    assert_eq!(envelopes.len(), 1);
}

#[test]
fn generated_queue_is_shared_across_threads() {
    let queue = Arc::new(
        PublishQueue::builder()
            .max_capacity(1 << 16)
            .build()
            .expect("valid"),
    );
    let producers: Vec<_> = (0..4u32)
        .map(|client| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for seq in 0..1000 {
                    queue.push(Publish { client, seq }).expect("below max");
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().expect("producer");
    }
    let mut next = [0u32; 4];
    while let Some(Publish { client, seq }) = queue.pop() {
        assert_eq!(seq, next[client as usize], "per-producer order");
        next[client as usize] += 1;
    }
    assert_eq!(next, [1000; 4]);
}

#[test]
fn debug_output_names_the_queue() {
    let queue = TickQueue::new().expect("valid");
    assert!(format!("{queue:?}").starts_with("TickQueue { stats: "));
    assert!(format!("{:?}", TickQueue::builder()).starts_with("TickQueueBuilder { config: "));
}
