//! The fixture of the JetStream examples: a message with what the derive implements for it.

use crate::codec::{Codec, DecodeError};
use crate::layer::Lane;
use crate::message::Message;

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
