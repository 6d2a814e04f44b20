// `partition_key = Self::route` whose return type is not `Hash`: the error is on the path.
use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(partitions = 4, partition_key = Self::route)]
struct Reading {
    weight: f64,
}

impl Reading {
    fn route(&self) -> f64 {
        self.weight
    }
}

fn main() {}
