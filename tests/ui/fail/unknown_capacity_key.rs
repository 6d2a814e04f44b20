use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(initail = 64))]
struct Sample {
    value: u32,
}

fn main() {}
