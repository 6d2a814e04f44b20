// A field whose type has no encoding is an error on that field's type.
use elasticq::Codec;

struct Handle(u32);

#[derive(Codec)]
struct Job {
    id: u64,
    handle: Handle,
}

fn main() {}
