// Two fields marked `partition_key`: the error is on the second mark.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: String,
    #[elastic_queue(partition_key)]
    topic: String,
}

fn main() {}
