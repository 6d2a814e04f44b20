// `#[derive(Priority)]` on an enum whose variants carry data: the error is on the data.
use elasticq::Priority;

#[derive(Priority)]
enum Level {
    Low,
    High { reason: String },
}

fn main() {}
