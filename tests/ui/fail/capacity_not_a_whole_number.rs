use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max = 1.5))]
struct Sample {
    value: u32,
}

fn main() {}
