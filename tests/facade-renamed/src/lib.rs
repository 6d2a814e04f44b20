//! A user crate that depends on elasticq as `queues`: the generated code must reach the
//! runtime through the path given with `crate = ...`, never through `::elasticq`, which does
//! not exist here.

use queues::ElasticQueue;

/// A message whose queue is generated through the renamed dependency.
#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(crate = ::queues, engine = lock_free, capacity(initial = 2, max = 4))]
pub struct Reading {
    /// The sensor that sent it.
    pub sensor: u32,
}

/// A second queue for the same message, through the attribute macro.
#[queues::queue(message = Reading, crate = queues, engine = locked)]
pub struct ReadingLog;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_queues_work_through_a_renamed_dependency() {
        let queue = ReadingQueue::new().expect("valid declaration");
        queue.push(Reading { sensor: 1 }).expect("room");
        assert_eq!(queue.pop(), Some(Reading { sensor: 1 }));
        assert_eq!(queue.config().get_max_capacity(), 4);

        let log = ReadingLog::new().expect("valid declaration");
        log.push(Reading { sensor: 2 }).expect("room");
        assert_eq!(log.drain(), vec![Reading { sensor: 2 }]);
        assert_eq!(<Reading as queues::Message>::NAME, "Reading");
    }
}
