// A `priority` field must have a type deriving `Priority`; the error names the field's type.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority)]
    urgency: String,
}

fn main() {}
