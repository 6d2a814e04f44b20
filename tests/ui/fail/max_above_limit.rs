use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max = 2_000_000_000_000))]
struct Sample {
    value: u32,
}

fn main() {}
