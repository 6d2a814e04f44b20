use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(overflow = drop_olderst)]
struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, overflow = "drop_oldest")]
struct QuotedQueue;

#[elasticq::queue(message = Reading, overflow = drop_oldest(2))]
struct CalledQueue;

fn main() {}
