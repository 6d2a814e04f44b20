//! The fixtures of the JetStream examples: a message and a map-mode message, with what the
//! derive implements for them.

use crate::codec::{Codec, DecodeError};
use crate::layer::Lane;
use crate::message::{MapMessage, Message};

/// A note, the message of the JetStream examples, implemented as `#[derive(ElasticQueue)]`
/// would implement it: no priorities, no partition key, encoded as its text. Its impls are
/// never recommended, so that a user's "not an elasticq message" error does not offer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note(pub String);

#[diagnostic::do_not_recommend]
impl Message for Note {
    type Queue = ();
    type Lanes<E: Lane<Self>> = E;
    const NAME: &'static str = "Note";
}

#[diagnostic::do_not_recommend]
impl Codec for Note {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out)
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        String::decode(input).map(Note)
    }
}

/// A gauge, the message of the JetStream map examples, implemented as
/// `#[derive(ElasticQueue)]` with `mode = map` and `#[elastic_queue(key)] name` would: the
/// last write under a name wins, encoded field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gauge {
    /// The key.
    pub name: u32,
    /// The reading.
    pub value: u64,
}

#[diagnostic::do_not_recommend]
impl Message for Gauge {
    type Queue = ();
    type Lanes<E: Lane<Self>> = E;
    const NAME: &'static str = "Gauge";
}

#[diagnostic::do_not_recommend]
impl MapMessage for Gauge {
    type Key = u32;
    type Version = ();

    fn key(&self) -> &u32 {
        &self.name
    }

    fn version(&self) -> Option<&()> {
        None
    }
}

#[diagnostic::do_not_recommend]
impl Codec for Gauge {
    fn encode(&self, out: &mut Vec<u8>) {
        self.name.encode(out);
        self.value.encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        Ok(Gauge {
            name: u32::decode(input)?,
            value: u64::decode(input)?,
        })
    }
}
