// One partition key: two fields, or a field and the type's `partition_key = ...`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: u32,
    #[elastic_queue(partition_key)]
    topic: String,
}

#[derive(ElasticQueue, Hash)]
#[elastic_queue(partition_key = self)]
struct Reading {
    #[elastic_queue(partition_key)]
    sensor: u32,
}

fn main() {}
