//! `priority(levels = N)` on integer fields: levels 0..N, higher first; out of range is
//! handed back; signed and wide integers too.

use elasticq::{ElasticQueue, PushError};

#[derive(ElasticQueue, Debug, PartialEq)]
struct Job {
    #[elastic_queue(priority(levels = 3))]
    urgency: u8,
    id: u32,
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, fair(max_consecutive = 1))]
struct Signed(#[elastic_queue(priority(levels = 2))] i64, u32);

fn main() {
    let jobs = JobQueue::new().unwrap();
    jobs.push(Job { urgency: 0, id: 1 }).unwrap();
    jobs.push(Job { urgency: 2, id: 2 }).unwrap();
    jobs.push(Job { urgency: 1, id: 3 }).unwrap();
    jobs.push(Job { urgency: 2, id: 4 }).unwrap();
    match jobs.push(Job { urgency: 3, id: 5 }) {
        Err(PushError::InvalidPriority(job)) => assert_eq!(job.id, 5),
        other => panic!("out of range should be handed back, got {other:?}"),
    }
    assert_eq!(jobs.len_priority(2u8), 2);
    assert_eq!(
        jobs.len_priority(7u8),
        0,
        "a level out of range holds nothing"
    );
    assert_eq!(jobs.pop_priority(0u8).map(|j| j.id), Some(1));
    let ids: Vec<u32> = std::iter::from_fn(|| jobs.pop()).map(|j| j.id).collect();
    assert_eq!(ids, [2, 4, 3]);

    let signed = SignedQueue::new().unwrap();
    assert!(matches!(
        signed.push(Signed(-1, 0)),
        Err(PushError::InvalidPriority(_))
    ));
    signed.push(Signed(1, 1)).unwrap();
    signed.push(Signed(1, 2)).unwrap();
    signed.push(Signed(0, 3)).unwrap();
    let order: Vec<u32> = std::iter::from_fn(|| signed.pop()).map(|s| s.1).collect();
    assert_eq!(
        order,
        [1, 3, 2],
        "fair(max_consecutive = 1) alternates levels"
    );
}
