use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

#[elasticq::queue(message = Sample, name = AuditLog)]
struct AuditQueue;

fn main() {}
