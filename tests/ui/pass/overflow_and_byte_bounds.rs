//! `overflow`, `capacity(max_bytes = N)` and `weight` on the derive (over the locked engine,
//! priorities and partitions, a generic message, a labelled and a persisted queue) and on
//! `#[elasticq::queue]`, where the weight function is named through the message (or through
//! `Self`, the queue struct); with the builder's overrides.

use std::sync::{Arc, Mutex};

use elasticq::{ElasticQueue, Overflow, PushError};

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(
    overflow = drop_oldest,
    capacity(max = 2, max_bytes = 1_000),
    weight = Self::weight,
)]
pub struct Reading {
    bytes: Vec<u8>,
}

impl Reading {
    fn weight(&self) -> usize {
        self.bytes.len()
    }
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(
    partitions = 2,
    overflow = reject,
    capacity(max_bytes = 8),
    weight = weigh_job
)]
pub struct Job {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
    #[elastic_queue(partition_key)]
    owner: u32,
    payload: String,
}

fn weigh_job(job: &Job) -> usize {
    job.payload.len()
}

#[elasticq::queue(message = Reading, capacity(max_bytes = 4), weight = Reading::weight)]
struct SmallReadings;

#[elasticq::queue(
    message = Job,
    overflow = drop_oldest,
    capacity(max = 1, max_bytes = 100),
    weight = Self::weigh
)]
struct JobRing;

impl JobRing {
    fn weigh(job: &Job) -> usize {
        job.payload.len()
    }
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(
    engine = lock_free,
    overflow = drop_oldest,
    capacity(max_bytes = 64),
    weight = Self::weight,
    metrics = "envelopes"
)]
pub struct Envelope<T: Clone> {
    body: Vec<T>,
}

impl<T: Clone> Envelope<T> {
    fn weight(&self) -> usize {
        self.body.len()
    }
}

/// Persisted: weighed by `weight`, or without one by the encoded length.
#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(persist, overflow = reject, capacity(max = 8, max_bytes = 64), weight = Self::weight)]
pub struct Order {
    id: u64,
}

impl Order {
    fn weight(&self) -> usize {
        8
    }
}

#[elasticq::queue(message = Order, persist(sync = none), capacity(max_bytes = 1_024))]
struct EncodedOrders;

fn reading(n: usize) -> Reading {
    Reading { bytes: vec![0; n] }
}

fn job(urgency: u8, payload: &str) -> Job {
    Job {
        urgency,
        owner: 7,
        payload: payload.to_owned(),
    }
}

fn main() {
    let readings = ReadingQueue::new().unwrap();
    for n in 1..=3 {
        readings.push(reading(n)).unwrap();
    }
    assert_eq!(readings.stats().dropped, 1);
    assert_eq!(readings.stats().bytes, 5);
    assert_eq!(readings.pop(), Some(reading(2)));

    let jobs = JobQueue::new().unwrap();
    jobs.push(job(1, "12345")).unwrap();
    assert!(matches!(jobs.push(job(1, "6789")), Err(PushError::Full(_))));
    jobs.push(job(0, "6789")).unwrap(); // another level: a lane of its own

    let small = SmallReadings::new().unwrap();
    small.push(reading(4)).unwrap();
    assert!(small.push(reading(1)).is_err());

    let evicted = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&evicted);
    let ring = JobRing::builder()
        .on_evict(move |job: Job| seen.lock().unwrap().push(job.payload))
        .build()
        .unwrap();
    ring.push(job(1, "a")).unwrap();
    ring.push(job(1, "b")).unwrap();
    assert_eq!(*evicted.lock().unwrap(), ["a"]);

    let rejecting = ReadingQueue::builder()
        .overflow(Overflow::Reject)
        .max_bytes(2)
        .build()
        .unwrap();
    rejecting.push(reading(2)).unwrap();
    assert!(rejecting.push(reading(1)).is_err());

    let envelopes = EnvelopeQueue::<u8>::builder()
        .on_evict(drop)
        .build()
        .unwrap();
    envelopes.push(Envelope { body: vec![1, 2] }).unwrap();
    assert_eq!(envelopes.pop(), Some(Envelope { body: vec![1, 2] }));

    let dir = std::env::temp_dir().join(format!("elasticq-ui-overflow-{}", std::process::id()));
    let orders = OrderQueue::builder()
        .dir(dir.join("orders"))
        .overflow(Overflow::Reject)
        .max_bytes(32)
        .build()
        .unwrap();
    orders.push(Order { id: 1 }).unwrap();
    let encoded = EncodedOrders::open(dir.join("encoded")).unwrap();
    encoded.push(Order { id: 2 }).unwrap();
    drop((orders, encoded));
    let _ = std::fs::remove_dir_all(dir);
}
