// A partition key must be `Hash`: the error points at the field's type.
use elasticq::ElasticQueue;

struct ClientId(u32);

#[derive(ElasticQueue)]
#[elastic_queue(partitions = 4)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: ClientId,
}

fn main() {}
