// A message has one priority field.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = 3))]
    urgency: u8,
    #[elastic_queue(priority(levels = 2))]
    importance: u8,
}

fn main() {}
