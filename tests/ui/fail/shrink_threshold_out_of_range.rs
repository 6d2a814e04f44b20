use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(shrink_threshold = 1.5)]
struct Above {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(shrink_threshold = 0)]
struct Zero {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(shrink_threshold = 1.0)]
struct One {
    value: u32,
}

fn main() {}
