// `partitions = 0` leaves nowhere to put a message; a string is not a count.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = 0)]
struct Reading {
    value: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(partitions = "4")]
struct Sample {
    value: u32,
}

fn main() {}
