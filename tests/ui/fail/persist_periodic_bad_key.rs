use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = periodic(seconds = 1)))]
struct Job {
    id: u64,
}

fn main() {}
