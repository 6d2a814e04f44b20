use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

#[elasticq::queue(engine = locked)]
struct AuditQueue;

fn main() {}
