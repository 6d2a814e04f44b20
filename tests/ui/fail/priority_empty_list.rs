// `priority()` with nothing inside.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority())]
    urgency: u8,
}

fn main() {}
