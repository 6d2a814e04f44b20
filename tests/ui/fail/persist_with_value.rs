use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist = every_write)]
struct Job {
    id: u64,
}

fn main() {}
