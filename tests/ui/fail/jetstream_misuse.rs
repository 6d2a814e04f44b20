use elasticq::ElasticQueue;

#[derive(ElasticQueue)]
#[elastic_queue(persist, jetstream(stream = "ORDERS", subject = "orders"))]
struct Persisted {
    id: u64,
}

#[derive(ElasticQueue)]
#[elastic_queue(jetstream(stream = "ORDERS.eu", subject = "orders.>"))]
struct BadNames {
    id: u64,
}

#[derive(ElasticQueue)]
#[elastic_queue(engine = lock_free, partitions = auto, jetstream(stream = "ORDERS", subject = "orders"))]
struct LocalKeys {
    id: u64,
}

#[derive(ElasticQueue)]
#[elastic_queue(jetstream(stream = "ORDERS"))]
struct NoSubject {
    id: u64,
}

#[derive(ElasticQueue)]
#[elastic_queue(mode = map, partitions = 2, jetstream(stream = "GAUGES", subject = "gauges"))]
struct PartitionedMap {
    #[elastic_queue(key)]
    name: u32,
}

#[derive(ElasticQueue)]
#[elastic_queue(mode = map, metrics = "gauges", jetstream(stream = "GAUGES", subject = "gauges"))]
struct MeteredMap {
    #[elastic_queue(key)]
    name: u32,
}

fn main() {}
