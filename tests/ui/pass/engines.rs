//! Both engines, chosen with `engine = ...`, and the default (locked).

use elasticq::{ElasticQueue, LockFreeQueue, LockedQueue, Message};

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(engine = lock_free)]
struct Fast(u32);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(engine = locked)]
struct Steady(u32);

#[derive(ElasticQueue, Debug, PartialEq)]
struct Default(u32);

fn main() {
    let fast = FastQueue::new().unwrap();
    fast.push(Fast(1)).unwrap();
    assert_eq!(fast.pop(), Some(Fast(1)));

    let steady = SteadyQueue::new().unwrap();
    steady.push(Steady(2)).unwrap();
    assert_eq!(steady.pop(), Some(Steady(2)));

    let default = DefaultQueue::new().unwrap();
    default.push(Default(3)).unwrap();
    assert_eq!(default.pop(), Some(Default(3)));

    // The engines' own types stay usable next to the generated ones.
    let _: Option<LockFreeQueue<Fast>> = None;
    let _: Option<LockedQueue<Steady>> = None;
    assert_eq!(<Fast as Message>::NAME, "Fast");
}
