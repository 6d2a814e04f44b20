use elasticq::ElasticQueue;

const LIMIT: usize = 1024;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max_bytes = LIMIT), weight = Self::weight)]
struct Reading {
    bytes: Vec<u8>,
}

impl Reading {
    fn weight(&self) -> usize {
        self.bytes.len()
    }
}

fn main() {}
