// `partition_key = ...` on a field: a field is marked, the value form is for the type.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Publish {
    #[elastic_queue(partition_key = self)]
    client: String,
}

fn main() {}
