//! `capacity(...)` with every non-empty subset of `initial`, `min` and `max`, in any order
//! and with a trailing comma, and no `capacity` at all; unset sizes follow the ones set.

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Debug, PartialEq)]
struct NoKeys(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 8))]
struct Initial(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(min = 4))]
struct Min(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(max = 32))]
struct Max(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 8, min = 4))]
struct InitialMin(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 8, max = 32))]
struct InitialMax(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(min = 4, max = 32))]
struct MinMax(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(max = 32, min = 4, initial = 8,))]
struct All(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 1, min = 1, max = 1))]
struct Single(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(max = 1_099_511_627_776))]
struct Largest(u8);

macro_rules! check {
    ($queue:ident, $message:ident, $initial:expr, $min:expr, $max:expr) => {{
        let queue = $queue::new().unwrap();
        let config = queue.config();
        assert_eq!(
            (
                config.get_initial_capacity(),
                config.get_min_capacity(),
                config.get_max_capacity()
            ),
            ($initial, $min, $max),
            stringify!($queue)
        );
        queue.push($message(1)).unwrap();
        assert_eq!(queue.pop(), Some($message(1)));
    }};
}

fn main() {
    check!(NoKeysQueue, NoKeys, 1024, 256, 1 << 20);
    check!(InitialQueue, Initial, 8, 8, 1 << 20);
    check!(MinQueue, Min, 1024, 4, 1 << 20);
    check!(MaxQueue, Max, 32, 32, 32);
    check!(InitialMinQueue, InitialMin, 8, 4, 1 << 20);
    check!(InitialMaxQueue, InitialMax, 8, 8, 32);
    check!(MinMaxQueue, MinMax, 32, 4, 32);
    check!(AllQueue, All, 8, 4, 32);
    check!(SingleQueue, Single, 1, 1, 1);
    check!(LargestQueue, Largest, 1024, 256, elasticq::MAX_CAPACITY);

    let single = SingleQueue::new().unwrap();
    single.push(Single(1)).unwrap();
    assert!(single.push(Single(2)).is_err(), "max = 1 holds one message");
}
