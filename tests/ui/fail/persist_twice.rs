use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = none), persist(sync = every_write))]
struct Job {
    id: u64,
}

fn main() {}
