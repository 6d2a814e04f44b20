use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(engin = lock_free)]
struct Sample {
    value: u32,
}

fn main() {}
