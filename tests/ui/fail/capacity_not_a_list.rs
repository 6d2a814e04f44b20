use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity = 1024)]
struct Sample {
    value: u32,
}

fn main() {}
