//! `crate = ...` names the path elasticq is reachable at: absolute, relative, or a local
//! re-export.

use elasticq::ElasticQueue;

mod reexport {
    pub use elasticq as queues;
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(crate = ::elasticq)]
struct Absolute(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(crate = elasticq, engine = lock_free)]
struct Relative(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(crate = crate::reexport::queues)]
struct Reexported(u8);

#[elasticq::queue(message = Absolute, crate = ::elasticq)]
struct AbsoluteLog;

fn main() {
    let absolute = AbsoluteQueue::new().unwrap();
    absolute.push(Absolute(1)).unwrap();
    assert_eq!(absolute.pop(), Some(Absolute(1)));

    let relative = RelativeQueue::new().unwrap();
    relative.push(Relative(2)).unwrap();
    assert_eq!(relative.pop(), Some(Relative(2)));

    let reexported = ReexportedQueue::new().unwrap();
    reexported.push(Reexported(3)).unwrap();
    assert_eq!(reexported.pop(), Some(Reexported(3)));

    let log = AbsoluteLog::new().unwrap();
    log.push(Absolute(4)).unwrap();
    assert_eq!(log.pop(), Some(Absolute(4)));
}
