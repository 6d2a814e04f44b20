// Persisted queues: every sync policy, the bare key, segment sizes at both limits' sides, priorities and partitions, a generic
// message, a queue declared with #[elasticq::queue] for a message that derives Codec, and
// all of it inside #[no_implicit_prelude] with shadowing items in scope.
#![no_implicit_prelude]

mod shadowing {
    #![allow(dead_code)]
    pub struct Result;
    pub struct Option;
    pub struct Vec;
    pub struct Path;
    pub struct Duration;
    pub trait AsRef {}
}

mod messages {
    #![allow(dead_code)]
    use super::shadowing::*;
    use ::elasticq::{Codec, ElasticQueue, Priority};

    #[derive(Priority, Clone, Copy, Debug, PartialEq, Eq)]
    pub enum QoS {
        AtMostOnce,
        AtLeastOnce,
        ExactlyOnce,
    }

    #[derive(ElasticQueue)]
    #[elastic_queue(persist)]
    pub struct Bare {
        pub id: u64,
    }

    #[derive(ElasticQueue)]
    #[elastic_queue(persist(segment_bytes = 65_536))]
    pub struct SmallSegments {
        pub id: u64,
    }

    #[derive(ElasticQueue)]
    #[elastic_queue(persist(sync = none))]
    pub struct Unsynced {
        pub id: u64,
    }

    #[derive(ElasticQueue)]
    #[elastic_queue(persist(sync = periodic(ms = 250)), engine = lock_free)]
    pub struct Periodic {
        pub id: u64,
    }

    #[derive(ElasticQueue)]
    #[elastic_queue(partitions = 4, fair(max_consecutive = 3), persist(sync = every_write))]
    pub struct Publish {
        #[elastic_queue(priority)]
        pub qos: QoS,
        #[elastic_queue(partition_key)]
        pub client_id: ::std::string::String,
        pub payload: ::std::vec::Vec<u8>,
    }

    #[derive(ElasticQueue)]
    #[elastic_queue(persist(sync = none))]
    pub struct Envelope<T> {
        pub body: T,
    }

    #[derive(ElasticQueue, Codec)]
    pub struct Reading {
        pub sensor: u32,
    }

    #[::elasticq::queue(
        message = Reading,
        persist(sync = none, segment_bytes = 1_073_741_824),
        partitions = 2
    )]
    pub struct DurableReadings;
}

fn main() {
    use messages::*;
    let dir = ::std::env::temp_dir();
    let _: fn(&::std::path::Path) -> ::std::result::Result<PublishQueue, ::elasticq::Error> =
        |dir| PublishQueue::open(dir);
    let _ = BareQueue::builder().dir(&dir).segment_bytes(1 << 20);
    let _ = UnsyncedQueue::builder().sync(::elasticq::SyncPolicy::EveryWrite);
    let _ = PeriodicQueue::builder();
    let _ = SmallSegmentsQueue::builder().dir(&dir);
    let _ = EnvelopeQueue::<u32>::builder();
    let _ = DurableReadings::builder().partitions(2);
    let _: fn(&PublishQueue) -> ::std::option::Option<::elasticq::Delivery<Publish>> =
        |queue| queue.pop_delivery_from(0);
    let _: fn(&DurableReadings) -> ::std::vec::Vec<::elasticq::Delivery<Reading>> =
        |queue| queue.pop_delivery_batch_from(0, 8);
    let _: fn(&EnvelopeQueue<u32>) -> ::elasticq::PersistStats = |queue| queue.persist_stats();
    let _: fn(&BareQueue) -> ::std::result::Result<u64, ::elasticq::PersistError> =
        |queue| queue.compact();
    let _: fn(&PublishQueue) -> ::std::option::Option<Publish> =
        |queue| queue.pop_priority(QoS::ExactlyOnce);
}
