// `fair(max_consecutive = 0)` in `#[elasticq::queue(...)]`.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

#[elasticq::queue(message = Job, fair(max_consecutive = 0))]
struct JobLog;

fn main() {}
