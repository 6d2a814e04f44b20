use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = none), codec = bincode)]
struct Job {
    id: u64,
}

fn main() {}
