use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(max_bytes = 64), weight = Self::weight)]
struct Reading {
    bytes: Vec<u8>,
}

impl Reading {
    fn weight(&self) -> u32 {
        self.bytes.len() as u32
    }

    fn size(reading: Reading) -> usize {
        reading.bytes.len()
    }
}

#[elasticq::queue(message = Reading, capacity(max_bytes = 64), weight = Reading::size)]
struct ByValueQueue;

fn main() {}
