// `partition_of` on an `#[elasticq::queue]` queue declared without `partitions`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = 4)]
struct Publish {
    #[elastic_queue(partition_key)]
    client: String,
}

#[elasticq::queue(message = Publish)]
struct AuditQueue;

fn main() {
    let audit = AuditQueue::new().unwrap();
    let _ = audit.partition_of("client");
}
