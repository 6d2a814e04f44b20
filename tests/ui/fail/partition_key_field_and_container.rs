// A `partition_key` field and `partition_key = Self::route` on the type.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partition_key = Self::route)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: String,
}

impl Publish {
    fn route(&self) -> &str {
        &self.client
    }
}

fn main() {}
