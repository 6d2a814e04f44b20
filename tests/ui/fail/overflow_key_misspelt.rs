use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(overflw = drop_oldest, wieght = Self::weight)]
struct Reading {
    value: u32,
}

fn main() {}
