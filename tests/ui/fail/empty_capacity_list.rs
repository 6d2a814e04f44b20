use elasticq::ElasticQueue;

// An empty `capacity()` is rejected by syn's nested-meta parser before the derive sees it.
#[derive(ElasticQueue)]
#[elastic_queue(capacity())]
struct Sample {
    value: u32,
}

fn main() {}
