use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map, persist(sync = every_write))]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    value: f64,
}

fn main() {}
