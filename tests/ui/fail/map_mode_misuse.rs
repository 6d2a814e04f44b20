// Map mode needs a key; a priority, a partition key and an engine do not apply to it.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct NoKey {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(mode = map, engine = lock_free)]
struct Everything {
    #[elastic_queue(key)]
    name: String,
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
    #[elastic_queue(partition_key)]
    client: u32,
}

fn main() {}
