// A rejected declaration still defines the names it declares, so code using them reports
// only what is really missing ("no function"), never "cannot find type".
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(capacity(initial = 0))]
pub struct Reading {
    value: u32,
}

#[elasticq::queue(message = Reading, partitions = 0)]
pub struct ReadingLog;

fn main() {
    let _ = ReadingQueue::builder();
    let _: Option<ReadingLog> = None;
}
