use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
struct Envelope<T> {
    body: T,
}

#[elasticq::queue(message = Envelope<T>)]
struct EnvelopeLog<T>;

fn main() {}
