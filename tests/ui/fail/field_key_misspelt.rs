// A misspelt field key (`priorty`) names the nearest one.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priorty)]
    urgency: u8,
}

fn main() {}
