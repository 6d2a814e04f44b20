// `priority = 1` on a field: that form fixes an enum variant's level.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority = 1)]
    urgency: u8,
}

fn main() {}
