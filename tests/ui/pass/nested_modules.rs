//! Messages and queues declared in nested modules, used from outside through paths, and an
//! attribute queue declared in another module than its message.

mod outer {
    pub mod inner {
        use elasticq::ElasticQueue;

        #[derive(ElasticQueue, Debug, PartialEq)]
        #[elastic_queue(engine = lock_free)]
        pub struct Deep {
            pub level: u8,
        }

        pub mod innermost {
            #[derive(elasticq::ElasticQueue, Debug, PartialEq)]
            pub enum Deeper {
                Bottom,
            }
        }
    }

    #[elasticq::queue(message = inner::Deep, capacity(max = 4))]
    pub struct DeepLog;

    #[elasticq::queue(message = self::inner::innermost::Deeper)]
    pub struct DeeperLog;
}

use outer::inner::innermost::{Deeper, DeeperQueue};

fn main() {
    let deep = outer::inner::DeepQueue::new().unwrap();
    deep.push(outer::inner::Deep { level: 2 }).unwrap();
    assert_eq!(deep.pop(), Some(outer::inner::Deep { level: 2 }));

    let deeper = DeeperQueue::new().unwrap();
    deeper.push(Deeper::Bottom).unwrap();
    assert_eq!(deeper.pop(), Some(Deeper::Bottom));

    let log = outer::DeepLog::new().unwrap();
    log.push(outer::inner::Deep { level: 1 }).unwrap();
    assert_eq!(log.config().get_max_capacity(), 4);
    assert_eq!(log.pop().map(|d| d.level), Some(1));

    let deeper_log = outer::DeeperLog::new().unwrap();
    deeper_log.push(Deeper::Bottom).unwrap();
    assert_eq!(deeper_log.drain(), vec![Deeper::Bottom]);
}
