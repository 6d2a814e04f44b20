// A misspelt field key (`partition`) names the nearest one.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Publish {
    #[elastic_queue(partition)]
    client: String,
}

fn main() {}
