use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = periodic))]
struct Job {
    id: u64,
}

fn main() {}
