// A queue key written on a `Priority` enum: it takes `crate = path` only.
use elasticq::Priority;

#[derive(Priority)]
#[elastic_queue(partitions = 2)]
enum Level {
    Low,
    High,
}

fn main() {}
