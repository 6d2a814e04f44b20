use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue]
struct Sample {
    value: u32,
}

fn main() {}
