// `#[derive(Priority)]` on a struct: the error is on `struct`.
use elasticq::Priority;

#[derive(Priority)]
struct Level(u8);

fn main() {}
