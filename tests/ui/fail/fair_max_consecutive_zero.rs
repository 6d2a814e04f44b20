// `fair(max_consecutive = 0)`: a run of at least one pop.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(fair(max_consecutive = 0))]
struct Job {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
