use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Sample {
    #[elastic_queue(engine = locked)]
    value: u32,
}

#[derive(ElasticQueue)]
enum Event {
    #[elastic_queue(priority = 1)]
    Started,
    Stopped,
}

fn main() {}
