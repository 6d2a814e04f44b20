use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(growth_factor = "fast")]
struct Sample {
    value: u32,
}

fn main() {}
