use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max_bytes = 64), weight = |reading: &Reading| reading.bytes.len())]
struct Reading {
    bytes: Vec<u8>,
}

#[elasticq::queue(message = Reading, weight = "Reading::len")]
struct QuotedQueue;

#[elasticq::queue(message = Reading, weight = 8)]
struct NumberQueue;

fn main() {}
