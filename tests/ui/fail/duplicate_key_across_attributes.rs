use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max = 64))]
#[elastic_queue(capacity(max = 128))]
struct Sample {
    value: u32,
}

fn main() {}
