//! Map mode: last write wins without a version, the newer version wins with one; put, get,
//! remove and pop_entry with its overwrite count.

use elasticq::{ElasticQueue, Put};

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    value: f64,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(mode = map, partitions = 2)]
struct Sample {
    #[elastic_queue(key)]
    sensor: u32,
    #[elastic_queue(version)]
    taken_at: u64,
    value: i32,
}

fn gauge(name: &str, value: f64) -> Gauge {
    Gauge {
        name: name.to_owned(),
        value,
    }
}

fn main() {
    let gauges = GaugeQueue::new().unwrap();
    assert_eq!(gauges.put(gauge("cpu", 0.5)).unwrap(), Put::Inserted);
    assert_eq!(gauges.put(gauge("mem", 0.1)).unwrap(), Put::Inserted);
    assert_eq!(
        gauges.put(gauge("cpu", 0.9)).unwrap(),
        Put::Replaced(gauge("cpu", 0.5))
    );
    assert_eq!(gauges.len(), 2);
    assert_eq!(gauges.get("cpu"), Some(gauge("cpu", 0.9)));
    assert_eq!(gauges.get(&"disk".to_owned()), None);
    let entry = gauges.pop_entry().unwrap();
    assert_eq!((entry.message, entry.overwrites), (gauge("cpu", 0.9), 1));
    assert_eq!(gauges.remove("mem"), Some(gauge("mem", 0.1)));
    assert!(gauges.is_empty());

    let samples = SampleQueue::new().unwrap();
    assert_eq!(samples.partitions(), 2);
    let at = |taken_at, value| Sample {
        sensor: 1,
        taken_at,
        value,
    };
    assert_eq!(samples.put(at(10, 1)).unwrap(), Put::Inserted);
    assert_eq!(
        samples.put(at(5, 2)).unwrap(),
        Put::Stale(at(5, 2)),
        "older version ignored"
    );
    assert_eq!(samples.put(at(20, 3)).unwrap(), Put::Replaced(at(10, 1)));
    assert_eq!(samples.get(&1), Some(at(20, 3)));
    assert!(samples.partition_of(&1) < 2);
    assert_eq!(samples.stats().stale, 1);
    assert_eq!(samples.pop(), Some(at(20, 3)));
    assert_eq!(samples.remove(&1), None);
}
