//! User constants named like the generated methods' parameters (`max`, `message`,
//! `messages`, `timeout`, `n`, `ratio`, `formatter`, `inner`, `config`, `queue`, `error`)
//! must not turn those parameters into patterns.
#![allow(non_upper_case_globals)]

use std::time::Duration;

use elasticq::ElasticQueue;

const max: usize = 3;
const message: u8 = 0;
const messages: u8 = 0;
const timeout: u8 = 0;
const n: usize = 0;
const ratio: f64 = 0.0;
const formatter: u8 = 0;
const inner: u8 = 0;
const config: u8 = 0;
const queue: u8 = 0;
const error: u8 = 0;
const initial: usize = 0;
const min: usize = 0;

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 2, min = 1, max = 8))]
struct Job(u8);

#[elasticq::queue(message = Job, engine = lock_free, capacity(max = 4))]
struct JobLog;

fn main() {
    let jobs = JobQueue::builder()
        .initial_capacity(4)
        .min_capacity(2)
        .max_capacity(16)
        .growth_factor(2.0)
        .shrink_threshold(0.5)
        .build()
        .unwrap();
    jobs.push(Job(message)).unwrap();
    jobs.push_batch([Job(1), Job(2), Job(3)]).unwrap();
    jobs.push_timeout(Job(4), Duration::from_millis(1)).unwrap();
    assert_eq!(jobs.pop_batch(max), vec![Job(0), Job(1), Job(2)]);
    assert_eq!(jobs.pop_timeout(Duration::from_millis(1)), Ok(Job(3)));
    assert!(format!("{jobs:?}").starts_with("JobQueue {"));
    assert_eq!(jobs.pop(), Some(Job(4)));

    let log = JobLog::new().unwrap();
    log.push(Job(5)).unwrap();
    assert_eq!(log.pop(), Some(Job(5)));
    let _ = (n, ratio, formatter, inner, config, queue, error, initial, min, messages, timeout);
}
