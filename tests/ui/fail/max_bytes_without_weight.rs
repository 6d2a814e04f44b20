use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max = 64, max_bytes = 4096))]
struct Reading {
    bytes: Vec<u8>,
}

#[elasticq::queue(message = Reading, capacity(max_bytes = 1_024))]
struct SmallQueue;

fn main() {}
