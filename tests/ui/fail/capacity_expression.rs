use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max = 1 << 20), growth_factor = -2.0)]
struct Sample {
    value: u32,
}

fn main() {}
