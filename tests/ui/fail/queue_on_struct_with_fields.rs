use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

#[elasticq::queue(message = Sample)]
struct AuditQueue {
    inner: u32,
}

#[elasticq::queue(message = Sample)]
struct TupleQueue(u32);

fn main() {}
