use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

#[elasticq::queue(message = _)]
struct AuditQueue;

fn main() {}
