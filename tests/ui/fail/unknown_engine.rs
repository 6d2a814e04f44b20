use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(engine = lockfree)]
struct Sample {
    value: u32,
}

fn main() {}
