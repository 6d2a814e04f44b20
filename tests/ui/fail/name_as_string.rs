use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(name = "SampleLog")]
struct Sample {
    value: u32,
}

fn main() {}
