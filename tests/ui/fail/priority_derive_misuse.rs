// `Priority` is derived on a fieldless enum with at least one variant.
use elasticq::Priority;

#[derive(Priority)]
struct Level(u8);

#[derive(Priority)]
enum WithData {
    Low,
    High(u8),
}

#[derive(Priority)]
enum Empty {}

fn main() {}
