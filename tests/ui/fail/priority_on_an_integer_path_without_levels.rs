// An integer written as a path (`core::primitive::u16`) still needs `levels`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority)]
    urgency: core::primitive::u16,
}

fn main() {}
