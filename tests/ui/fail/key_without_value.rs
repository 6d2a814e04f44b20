use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(engine)]
struct Sample {
    value: u32,
}

fn main() {}
