use elasticq::ElasticQueue;

// Keys of the queue written on a field, and a field's key written on a variant.
#[derive(ElasticQueue)]
struct Sample {
    #[elastic_queue(engine = locked)]
    value: u32,
}

#[derive(ElasticQueue)]
enum Event {
    #[elastic_queue(partition_key)]
    Started,
    Stopped,
}

fn main() {}
