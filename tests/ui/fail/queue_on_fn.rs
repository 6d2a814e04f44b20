use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

#[elasticq::queue(message = Sample)]
fn audit_queue() {}

fn main() {}
