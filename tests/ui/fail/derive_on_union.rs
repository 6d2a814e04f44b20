use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
union Sample {
    int: u32,
    float: f32,
}

fn main() {}
