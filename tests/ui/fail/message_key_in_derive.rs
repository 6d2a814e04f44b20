use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(message = Sample)]
struct Sample {
    value: u32,
}

fn main() {}
