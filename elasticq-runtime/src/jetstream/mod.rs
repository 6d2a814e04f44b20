//! Queues on NATS JetStream: the same message declaration, its queue spanning processes and
//! hosts.
//!
//! # How a queue maps onto JetStream
//!
//! | elasticq                 | JetStream                                                   |
//! |--------------------------|-------------------------------------------------------------|
//! | the queue                | one stream, subjects `<subject>.>`, work-queue retention     |
//! | partition `p`, level `l` | subject `<subject>.<p>.<l>` and its durable pull consumer `<stream>_p<p>_l<l>` |
//! | routing                  | `stable_hash` of the partition key, the same in every process |
//! | a push                   | a publish with `Nats-Msg-Id`, returned when acknowledged      |
//! | deliveries               | pulled messages: `ack`, `nack`, `nack_after`, `term`          |
//! | a full queue             | `max_bytes` with discard `new`: the publish is refused, handed back |
//! | map mode                 | a key-value bucket named after the stream, history one; the key's revision is its version (`map`) |
//!
//! # Invariants
//!
//! - A push that returned `Ok` is stored by the server: it survives the producer, and, with
//!   file storage, a restart of the server.
//! - A push retried with the same `Nats-Msg-Id` within the duplicate window is stored once.
//! - A delivery is removed from the stream only by its `ack` (or `term`): a consumer that
//!   dies leaves its deliveries to be delivered again once the ack wait ends.
//! - Within one partition and level, messages are delivered in publish order (one
//!   consumer per subject); a redelivery comes back before any later message of the
//!   consumer only if the pull that took it is the oldest outstanding.
//! - The queue never rewrites a stream or consumer it did not create: a conflicting
//!   setting is [`JetStreamError::StreamConflict`] or [`JetStreamError::ConsumerConflict`].

#[cfg(feature = "jetstream")]
mod delivery;
#[cfg(feature = "jetstream")]
pub(crate) mod doc;
#[cfg(feature = "jetstream")]
mod error;
#[cfg(feature = "jetstream")]
mod map;
mod names;
#[cfg(feature = "jetstream")]
mod options;
#[cfg(feature = "jetstream")]
mod queue;
#[cfg(feature = "jetstream")]
mod series;
#[cfg(feature = "jetstream")]
mod topology;

#[cfg(feature = "jetstream")]
pub use delivery::JetStreamDelivery;
#[cfg(feature = "jetstream")]
pub use error::{BoxError, JetStreamError, JetStreamPushError};
#[cfg(feature = "jetstream")]
pub use map::{JetStreamMap, MapRevision};
pub use names::{check_stream_name, check_subject};
#[cfg(feature = "jetstream")]
pub use options::{JetStreamOptions, StreamStorage};
#[cfg(feature = "jetstream")]
pub use queue::{JetStreamCounters, JetStreamQueue};
