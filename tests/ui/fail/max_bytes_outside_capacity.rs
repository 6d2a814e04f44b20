use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(max_bytes = 1024, capacity(overflow = drop_oldest))]
struct Reading {
    value: u32,
}

fn main() {}
