use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = always))]
struct Job {
    id: u64,
}

fn main() {}
