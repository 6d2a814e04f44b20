use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(codec = serde)]
struct Job {
    id: u64,
}

fn main() {}
