//! `Lane::set_hooks` and `Lane::room_for` through the layers: `PriorityLevels` and
//! `Partitioned` set the hooks on every engine they hold and find the engine a message would
//! be pushed into; `Instrumented` forwards both, also once the metrics publisher holds it.

use std::sync::{Arc, Mutex};

use elasticq::{
    Config, Engine, Hooks, Lane, LockedQueue, Overflow, Partitioned, PriorityLevels, PushError,
};

#[derive(elasticq::ElasticQueue, Clone, Debug, PartialEq, Eq)]
struct Item {
    #[elastic_queue(partition_key)]
    key: u32,
    #[elastic_queue(priority(levels = 3))]
    level: u8,
    size: usize,
}

fn item(key: u32, level: u8, size: usize) -> Item {
    Item { key, level, size }
}

type Levels = PriorityLevels<Item, LockedQueue<Item>>;
type Lanes = Partitioned<Item, Levels>;

fn hooks(evicted: &Arc<Mutex<Vec<Item>>>) -> Hooks<Item> {
    let evicted = Arc::clone(evicted);
    Hooks::new()
        .weight(|item: &Item| item.size)
        .evicted(move |item| evicted.lock().unwrap().push(item))
}

fn config() -> Config {
    Config::new()
        .initial_capacity(2)
        .max_capacity(2)
        .max_bytes(10)
        .overflow(Overflow::DropOldest)
        .partitions(3)
}

#[test]
fn priority_levels_set_the_hooks_of_every_level() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let mut levels = Levels::with_config(config()).unwrap();
    Lane::set_hooks(&mut levels, &hooks(&evicted));
    for level in 0..3 {
        levels.push(item(0, level, 6)).unwrap();
        levels.push(item(1, level, 6)).unwrap(); // 12 bytes would pass 10: evicts
    }
    let stats = levels.stats();
    assert_eq!(stats.bytes, 18);
    assert!(stats
        .levels
        .iter()
        .all(|level| level.bytes == 6 && level.dropped == 1));
    let evicted = evicted.lock().unwrap();
    assert_eq!(*evicted, [item(0, 0, 6), item(0, 1, 6), item(0, 2, 6)]);
}

#[test]
fn priority_levels_find_the_engine_of_a_level() {
    let levels = Levels::with_config(config().overflow(Overflow::Reject)).unwrap();
    let room = levels.room_for(Some(&item(0, 2, 0))).unwrap();
    elasticq::Room::try_reserve(room, 2).unwrap();
    // Level 2 is held full; the others are not.
    assert!(matches!(
        levels.push(item(0, 2, 0)),
        Err(PushError::Full(_))
    ));
    levels.push(item(0, 1, 0)).unwrap();
    elasticq::Room::push_reserved(room, item(7, 2, 0));
    assert_eq!(levels.pop_level(2), Some(item(7, 2, 0)));
    // No message: level 0. A priority out of range: no engine.
    let lowest = levels.room_for(None).unwrap();
    elasticq::Room::try_reserve(lowest, 2).unwrap();
    assert!(levels.push(item(0, 0, 0)).is_err());
    assert!(levels.room_for(Some(&item(0, 3, 0))).is_none());
}

#[test]
fn partitions_set_the_hooks_of_every_lane_and_find_a_message_s_partition() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let mut lanes = Lanes::with_config(config()).unwrap();
    Lane::set_hooks(&mut lanes, &hooks(&evicted));
    for key in 0..6 {
        lanes.push(item(key, 1, 4)).unwrap();
    }
    // Each partition keeps its last two (a maximum of 2 per lane) and evicts the others.
    let stats = lanes.stats();
    let mut kept = 0;
    for (partition, counters) in stats.partitions.iter().enumerate() {
        let keys = (0..6u32)
            .filter(|key| lanes.partition_of_hash(elasticq::stable_hash(key)) == partition)
            .count();
        assert_eq!(counters.bytes, 4 * keys.min(2), "partition {partition}");
        assert_eq!(counters.dropped, keys.saturating_sub(2) as u64);
        kept += keys.min(2);
    }
    assert_eq!(stats.bytes, 4 * kept);
    assert_eq!(evicted.lock().unwrap().len(), 6 - kept);

    let like = item(4, 2, 0);
    let partition = lanes.partition_of_hash(elasticq::stable_hash(&4u32));
    let room = lanes.room_for(Some(&like)).unwrap();
    elasticq::Room::try_reserve(room, 2).unwrap();
    elasticq::Room::push_reserved(room, like.clone());
    assert_eq!(lanes.partition(partition).unwrap().pop_level(2), Some(like));
    assert!(lanes.room_for(None).is_some());
    assert!(lanes.room_for(Some(&item(4, 5, 0))).is_none());
}

#[cfg(feature = "metrics")]
#[test]
fn instrumented_forwards_hooks_and_room() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let lanes = Lanes::with_config(config().partitions(1)).unwrap();
    // Registered with the metrics publisher, which holds it weakly.
    let mut queue = elasticq::Instrumented::new(lanes, "hooks");
    Lane::set_hooks(&mut queue, &hooks(&evicted));
    queue.push(item(0, 0, 3)).unwrap();
    queue.push(item(0, 0, 3)).unwrap();
    queue.push(item(0, 0, 3)).unwrap(); // the third at a maximum of 2 evicts
    assert_eq!(evicted.lock().unwrap().len(), 1);
    assert_eq!(queue.stats().bytes, 6);
    let room = queue.room_for(Some(&item(0, 1, 0))).unwrap();
    elasticq::Room::try_reserve(room, 1).unwrap();
    elasticq::Room::push_reserved(room, item(9, 1, 0));
    assert_eq!(queue.len_level(1), 1);
    queue.publish_metrics();
}
