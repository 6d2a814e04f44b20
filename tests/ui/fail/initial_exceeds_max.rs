use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(initial = 64, max = 32))]
struct Sample {
    value: u32,
}

fn main() {}
