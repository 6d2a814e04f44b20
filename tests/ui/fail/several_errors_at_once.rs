use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(
    engin = locked,
    growth_factor = 0.5,
    shrink_threshold = 2,
    capacity(initial = 64, max = 32),
    name = "SampleLog",
)]
struct Sample<'a> {
    text: &'a str,
}

fn main() {}
