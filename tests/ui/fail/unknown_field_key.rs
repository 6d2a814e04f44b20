// A misspelt field key names the nearest one; `priority = N` belongs on a variant.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priorty)]
    urgency: u8,
    #[elastic_queue(priority = 1)]
    weight: u8,
}

fn main() {}
