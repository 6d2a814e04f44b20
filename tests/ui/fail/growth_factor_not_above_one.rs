use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(growth_factor = 1)]
struct Exactly {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(growth_factor = 0.5)]
struct Below {
    value: u32,
}

fn main() {}
