use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(engine = locked, engine = lock_free)]
struct Sample {
    value: u32,
}

fn main() {}
