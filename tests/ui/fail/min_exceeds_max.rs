use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(min = 64, max = 32))]
struct Sample {
    value: u32,
}

fn main() {}
