use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = periodic(ms = 0)))]
struct Job {
    id: u64,
}

fn main() {}
