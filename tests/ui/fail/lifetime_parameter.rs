use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Borrowed<'a> {
    text: &'a str,
}

fn main() {}
