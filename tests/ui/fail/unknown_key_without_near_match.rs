use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(compression = 4)]
struct Sample {
    value: u32,
}

fn main() {}
