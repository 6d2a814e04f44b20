// `levels = 0` leaves no level to push to.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = 0))]
    urgency: u8,
}

fn main() {}
