use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max = 0))]
struct Sample {
    value: u32,
}

fn main() {}
