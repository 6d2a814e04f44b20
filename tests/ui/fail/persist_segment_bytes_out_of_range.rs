use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist(sync = none, segment_bytes = 1024))]
struct Job {
    id: u64,
}

#[derive(ElasticQueue)]
#[elastic_queue(persist(segment_bytes = 2_147_483_648))]
struct Huge {
    id: u64,
}

fn main() {}
