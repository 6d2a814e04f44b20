use elasticq::ElasticQueue;

#[derive(ElasticQueue, Clone)]
#[elastic_queue(
    mode = map,
    overflow = drop_oldest,
    capacity(max_bytes = 4096),
    weight = Self::weight
)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
    value: f64,
}

impl Gauge {
    fn weight(&self) -> usize {
        self.name.len()
    }
}

fn main() {}
