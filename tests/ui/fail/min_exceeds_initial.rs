use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(initial = 16, min = 64))]
struct Sample {
    value: u32,
}

fn main() {}
