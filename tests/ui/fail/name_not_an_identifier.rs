use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(name = queues::SampleLog)]
struct Sample {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(name = "Sample Log")]
struct Other {
    value: u32,
}

fn main() {}
