// `#[elasticq::queue]` declares FIFO queues: a map-mode message is refused.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(mode = map)]
struct Gauge {
    #[elastic_queue(key)]
    name: String,
}

#[elasticq::queue(message = Gauge)]
struct GaugeLog;

fn main() {}
