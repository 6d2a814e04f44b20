use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(metrics = orders)]
struct Order {
    id: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(metrics = "")]
struct Job {
    id: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(metrics = 5)]
struct Tick {
    id: u32,
}

#[elasticq::queue(message = Tick, metrics)]
struct AuditQueue;

fn main() {}
