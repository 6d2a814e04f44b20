//! `growth_factor` and `shrink_threshold` written as integer and float literals, with
//! suffixes and separators.

use elasticq::ElasticQueue;

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(growth_factor = 3, capacity(initial = 1, min = 1, max = 9))]
struct Int(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(growth_factor = 1.5, shrink_threshold = 0.1)]
struct Float(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(growth_factor = 2.5f64, shrink_threshold = 5e-1)]
struct Suffixed(u8);

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(growth_factor = 1_000)]
struct Separated(u8);

fn main() {
    let int = IntQueue::new().unwrap();
    assert_eq!(int.config().get_growth_factor(), 3.0);
    int.push(Int(1)).unwrap();
    int.push(Int(2)).unwrap();
    assert_eq!(int.capacity(), 3, "grew from 1 by a factor of 3");
    assert_eq!(int.pop(), Some(Int(1)));

    let float = FloatQueue::new().unwrap();
    assert_eq!(float.config().get_growth_factor(), 1.5);
    assert_eq!(float.config().get_shrink_threshold(), 0.1);
    float.push(Float(2)).unwrap();
    assert_eq!(float.pop(), Some(Float(2)));

    let suffixed = SuffixedQueue::new().unwrap();
    assert_eq!(suffixed.config().get_growth_factor(), 2.5);
    assert_eq!(suffixed.config().get_shrink_threshold(), 0.5);
    suffixed.push(Suffixed(3)).unwrap();
    assert_eq!(suffixed.pop(), Some(Suffixed(3)));

    let separated = SeparatedQueue::new().unwrap();
    assert_eq!(separated.config().get_growth_factor(), 1000.0);
    separated.push(Separated(4)).unwrap();
    assert_eq!(separated.pop(), Some(Separated(4)));
}
