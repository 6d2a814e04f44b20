//! `partition_key = self` routes by the whole message; `partition_key = Self::method` by
//! what the method returns, and `partition_of` then takes a value of that type.

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Clone, Debug, PartialEq, Eq, Hash)]
#[elastic_queue(partitions = 4, partition_key = self)]
struct Sensor {
    id: u32,
}

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(partitions = 3, partition_key = Self::route, engine = lock_free)]
struct Reading {
    sensor: u32,
    value: f64,
}

impl Reading {
    fn route(&self) -> u32 {
        self.sensor
    }
}

fn main() {
    let sensors = SensorQueue::new().unwrap();
    let home = sensors.partition_of(&Sensor { id: 9 });
    sensors.push(Sensor { id: 9 }).unwrap();
    assert_eq!(sensors.len_partition(home), 1);
    assert_eq!(sensors.pop_from(home), Some(Sensor { id: 9 }));

    let readings = ReadingQueue::new().unwrap();
    assert_eq!(readings.partitions(), 3);
    let home = readings.partition_of(&5u32);
    readings
        .push(Reading {
            sensor: 5,
            value: 1.0,
        })
        .unwrap();
    readings
        .push(Reading {
            sensor: 5,
            value: 2.0,
        })
        .unwrap();
    assert_eq!(readings.len_partition(home), 2);
    let values: Vec<f64> = readings
        .pop_batch_from(home, 10)
        .into_iter()
        .map(|r| r.value)
        .collect();
    assert_eq!(values, [1.0, 2.0]);
}
