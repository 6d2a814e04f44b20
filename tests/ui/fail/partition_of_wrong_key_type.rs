// `partition_of` with a key of another type than the key field's: the error is at the argument.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = 2)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: String,
}

fn main() {
    let queue = PublishQueue::new().unwrap();
    let _ = queue.partition_of(&7u32);
}
