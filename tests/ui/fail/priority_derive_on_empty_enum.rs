// `#[derive(Priority)]` on an enum with no variant: the error is on its name.
use elasticq::Priority;

#[derive(Priority)]
enum Level {}

fn main() {}
