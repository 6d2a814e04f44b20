//! `#[derive(Codec)]`: structs of every shape, enums with every kind of variant and generic
//! types encode and decode back; malformed bytes are errors, never panics.

use std::time::Duration;

use elasticq::{from_bytes, to_bytes, Codec, DecodeError};
use proptest::prelude::*;

#[derive(Codec, Clone, Debug, PartialEq)]
struct Publish {
    client_id: String,
    topic: String,
    payload: Vec<u8>,
    qos: QoS,
    retain: bool,
    expiry: Option<Duration>,
}

// MQTT's own names for the levels.
#[allow(clippy::enum_variant_names)]
#[derive(Codec, Clone, Copy, Debug, PartialEq)]
enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(Codec, Clone, Debug, PartialEq)]
enum Event {
    Started,
    Reading(u32, f64),
    Alarm { sensor: u32, text: String },
    Nested(Box<Event>),
}

#[derive(Codec, Debug, PartialEq)]
struct Unit;

#[derive(Codec, Debug, PartialEq)]
struct Pair<T>(T, T);

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn publish() -> impl Strategy<Value = Publish> {
    (
        ".{0,8}",
        ".{0,16}",
        prop::collection::vec(any::<u8>(), 0..32),
        qos(),
        any::<bool>(),
        proptest::option::of((any::<u64>(), 0u32..1_000_000_000)),
    )
        .prop_map(|(client_id, topic, payload, qos, retain, expiry)| Publish {
            client_id,
            topic,
            payload,
            qos,
            retain,
            expiry: expiry.map(|(secs, nanos)| Duration::new(secs, nanos)),
        })
}

fn event() -> impl Strategy<Value = Event> {
    let leaf = prop_oneof![
        Just(Event::Started),
        (
            any::<u32>(),
            any::<f64>().prop_filter("not NaN", |f| !f.is_nan())
        )
            .prop_map(|(id, value)| Event::Reading(id, value)),
        (any::<u32>(), ".{0,8}").prop_map(|(sensor, text)| Event::Alarm { sensor, text }),
    ];
    leaf.prop_recursive(3, 8, 1, |inner| {
        inner.prop_map(|e| Event::Nested(Box::new(e)))
    })
}

proptest! {
    #[test]
    fn structs_round_trip(message in publish()) {
        prop_assert_eq!(from_bytes::<Publish>(&to_bytes(&message)), Ok(message));
    }

    #[test]
    fn enums_round_trip(message in event()) {
        prop_assert_eq!(from_bytes::<Event>(&to_bytes(&message)), Ok(message));
    }

    #[test]
    fn truncated_and_random_bytes_are_errors_not_panics(
        message in publish(),
        noise in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let bytes = to_bytes(&message);
        for cut in 0..bytes.len() {
            prop_assert!(from_bytes::<Publish>(&bytes[..cut]).is_err());
        }
        let _ = from_bytes::<Publish>(&noise);
        let _ = from_bytes::<Event>(&noise);
    }
}

#[test]
fn the_variant_is_its_position_and_an_unknown_one_is_named() {
    assert_eq!(to_bytes(&QoS::ExactlyOnce), [2]);
    assert_eq!(to_bytes(&Event::Reading(1, 0.0))[0], 1);
    assert_eq!(
        from_bytes::<QoS>(&[7]),
        Err(DecodeError::invalid("QoS", "unknown variant tag 7"))
    );
}

#[test]
fn unit_and_generic_types() {
    assert_eq!(to_bytes(&Unit), Vec::<u8>::new());
    assert_eq!(from_bytes::<Unit>(&[]), Ok(Unit));
    assert_eq!(<Unit as Codec>::MIN_ENCODED_LEN, 0);
    let pair = Pair(1u16, 2u16);
    assert_eq!(to_bytes(&pair), [1, 0, 2, 0]);
    assert_eq!(from_bytes::<Pair<u16>>(&[1, 0, 2, 0]), Ok(pair));
    assert_eq!(<Pair<u16> as Codec>::MIN_ENCODED_LEN, 4);
}
