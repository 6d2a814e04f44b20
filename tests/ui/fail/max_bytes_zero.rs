use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max_bytes = 0), weight = Self::weight)]
struct Reading {
    bytes: Vec<u8>,
}

impl Reading {
    fn weight(&self) -> usize {
        self.bytes.len()
    }
}

fn main() {}
