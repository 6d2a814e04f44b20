use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(engine = "locked")]
struct Sample {
    value: u32,
}

fn main() {}
