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

/// Priority levels through the renamed dependency.
#[derive(queues::Priority, Clone, Copy, Debug, PartialEq, Eq)]
#[elastic_queue(crate = ::queues)]
pub enum Urgency {
    /// The lower level.
    Routine,
    /// The higher level.
    Urgent,
}

/// A prioritised, partitioned message through the renamed dependency.
#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(crate = ::queues, partitions = 2)]
pub struct Alert {
    /// Its level.
    #[elastic_queue(priority)]
    pub urgency: Urgency,
    /// Its route.
    #[elastic_queue(partition_key)]
    pub source: u32,
}

/// A persisted message through the renamed dependency: its `Codec` impl, the log layer and
/// the feature check all go through `crate = ...`.
#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(crate = ::queues, persist(sync = none), partitions = 2)]
pub struct Order {
    /// Its level.
    #[elastic_queue(priority)]
    pub urgency: Urgency,
    /// Its route.
    #[elastic_queue(partition_key)]
    pub customer: String,
}

/// A second queue for the same message, through the attribute macro, instrumented: the
/// wrapper and the feature check go through `crate = ...` too.
#[queues::queue(message = Reading, crate = queues, engine = locked, metrics = "readings")]
pub struct ReadingLog;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_work_through_a_renamed_dependency() {
        let alerts = AlertQueue::new().expect("valid declaration");
        let routine = Alert {
            urgency: Urgency::Routine,
            source: 1,
        };
        let urgent = Alert {
            urgency: Urgency::Urgent,
            source: 2,
        };
        alerts.push(routine).expect("room");
        alerts.push(urgent).expect("room");
        assert_eq!(alerts.len_priority(Urgency::Urgent), 1);
        assert_eq!(alerts.pop().map(|a| a.urgency), Some(Urgency::Urgent));
        assert_eq!(alerts.len_partition(alerts.partition_of(&1u32)), 1);
    }

    #[test]
    fn persisted_queues_work_through_a_renamed_dependency() {
        let dir = std::env::temp_dir().join(format!("elasticq-renamed-{}", std::process::id()));
        {
            let orders = OrderQueue::open(&dir).expect("a fresh directory");
            let order = Order {
                urgency: Urgency::Urgent,
                customer: "ada".into(),
            };
            orders.push(order).expect("room");
        }
        let orders = OrderQueue::open(&dir).expect("the log reopens");
        let delivery = orders.pop_delivery().expect("recovered");
        assert_eq!(delivery.customer, "ada");
        delivery.ack().expect("acknowledged");
        drop(orders);
        std::fs::remove_dir_all(&dir).expect("removable");
    }

    #[test]
    fn generated_queues_work_through_a_renamed_dependency() {
        let queue = ReadingQueue::new().expect("valid declaration");
        queue.push(Reading { sensor: 1 }).expect("room");
        assert_eq!(queue.pop(), Some(Reading { sensor: 1 }));
        assert_eq!(queue.config().get_max_capacity(), 4);

        let log = ReadingLog::new().expect("valid declaration");
        log.push(Reading { sensor: 2 }).expect("room");
        assert_eq!(log.drain(), vec![Reading { sensor: 2 }]);
        log.publish_metrics(); // a labelled queue's call, through the renamed path
        assert_eq!(<Reading as queues::Message>::NAME, "Reading");
    }
}
