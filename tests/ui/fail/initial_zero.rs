use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(initial = 0))]
struct Sample {
    value: u32,
}

fn main() {}
