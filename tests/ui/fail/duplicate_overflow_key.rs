use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(overflow = drop_oldest, capacity(max_bytes = 8, max_bytes = 16), weight = Self::w, weight = Self::w)]
#[elastic_queue(overflow = reject)]
struct Reading {
    value: u32,
}

impl Reading {
    fn w(&self) -> usize {
        4
    }
}

fn main() {}
