use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

#[elasticq::queue]
struct AuditQueue;

fn main() {}
