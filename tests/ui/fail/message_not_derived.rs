use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    value: u32,
}

struct Plain {
    value: u32,
}

#[elasticq::queue(message = Plain)]
struct PlainQueue;

fn main() {}
