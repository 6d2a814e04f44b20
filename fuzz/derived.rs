//! Types with a derived `Codec`, for the `codec_decode` fuzz target. Included by the target
//! (`fuzz_targets/codec_decode.rs`) and by the test that replays its inputs
//! (`tests/fuzz_regressions.rs`), so that both decode the same types with the same checks.

use std::time::Duration;

use elasticq::Codec;
use elasticq_runtime::__fuzz::{codec_decode as standard_types, round_trip};

#[derive(Codec, Clone, Debug, PartialEq)]
pub struct Publish {
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
pub enum QoS {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(Codec, Clone, Debug, PartialEq)]
pub enum Event {
    Started,
    Reading(u32, f64),
    Alarm { sensor: u32, text: String },
    Nested(Box<Event>),
}

#[derive(Codec, Debug, PartialEq)]
pub struct Unit;

#[derive(Codec, Debug, PartialEq)]
pub struct Pair<T>(T, T);

/// The first byte chooses the type: from `0x80`, one of the derived types here (modulo 8);
/// below, one of the standard types of `elasticq_runtime::__fuzz::codec_decode`.
pub fn codec_decode(data: &[u8]) {
    match data.split_first() {
        Some((&which, bytes)) if which >= 0x80 => match which % 8 {
            0 => round_trip::<Publish>(bytes),
            1 => round_trip::<QoS>(bytes),
            2 => round_trip::<Event>(bytes),
            3 => round_trip::<Vec<Unit>>(bytes),
            4 => round_trip::<Pair<Option<QoS>>>(bytes),
            5 => round_trip::<Vec<Event>>(bytes),
            6 => round_trip::<(Publish, Pair<u8>)>(bytes),
            _ => round_trip::<Unit>(bytes),
        },
        _ => standard_types(data),
    }
}

/// Seeds of the derived types for the `codec_decode` corpus, `(file name, bytes)`.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let tagged = |which: u8, bytes: Vec<u8>| [vec![which], bytes].concat();
    let publish = Publish {
        client_id: "client-7".into(),
        topic: "sensors/temperature".into(),
        payload: vec![1, 2, 3],
        qos: QoS::AtLeastOnce,
        retain: true,
        expiry: Some(Duration::from_millis(1500)),
    };
    let events = vec![
        Event::Started,
        Event::Reading(3, -0.5),
        Event::Alarm {
            sensor: 9,
            text: "hot".into(),
        },
        Event::Nested(Box::new(Event::Nested(Box::new(Event::Started)))),
    ];
    vec![
        (
            "derived-publish".into(),
            tagged(0x80, elasticq::to_bytes(&publish)),
        ),
        (
            "derived-events".into(),
            tagged(0x85, elasticq::to_bytes(&events)),
        ),
        (
            "derived-pair".into(),
            tagged(
                0x84,
                elasticq::to_bytes(&Pair(Some(QoS::ExactlyOnce), None)),
            ),
        ),
    ]
}
