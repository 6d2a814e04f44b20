use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist())]
struct Job {
    id: u64,
}

fn main() {}
