// `fair()` with nothing inside.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(fair())]
struct Job {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
