// A priority level's rank is its position; discriminants would suggest otherwise.
use elasticq::Priority;

#[derive(Priority)]
enum Level {
    High = 2,
    Low = 0,
}

fn main() {}
