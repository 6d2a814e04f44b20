use elasticq::ElasticQueue;

const SIZE: u64 = 1 << 20;

#[derive(ElasticQueue)]
#[elastic_queue(persist(segment_bytes = SIZE))]
struct Job {
    id: u64,
}

#[derive(ElasticQueue)]
#[elastic_queue(persist(segment_bytes = 4096, segment_bytes = 8192))]
struct Twice {
    id: u64,
}

fn main() {}
