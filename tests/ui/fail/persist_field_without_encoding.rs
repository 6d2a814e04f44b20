// A persisted message is encoded field by field: a field whose type has no encoding is an
// error on that field's type.
use elasticq::ElasticQueue;

struct Handle(u32);

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = every_write))]
struct Job {
    id: u64,
    handle: Handle,
}

fn main() {}
