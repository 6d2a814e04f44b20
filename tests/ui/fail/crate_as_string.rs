use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(crate = "elasticq")]
struct Sample {
    value: u32,
}

fn main() {}
