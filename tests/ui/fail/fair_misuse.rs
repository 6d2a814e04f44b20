// `fair` needs a priority, a positive run, and its one key.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(fair(max_consecutive = 4))]
struct NoPriority {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(fair(max_consecutive = 0))]
struct ZeroRun {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

#[derive(ElasticQueue)]
#[elastic_queue(fair(max_run = 3))]
struct WrongKey {
    #[elastic_queue(priority(levels = 2))]
    urgency: u8,
}

fn main() {}
