// A queue with priority levels holds a place in one level's lane: `try_reserve()` cannot
// know which, and the error says to name the message (`try_reserve_for`).
use elasticq::{ElasticQueue, Priority};

#[derive(Priority, Clone, Copy)]
enum Level {
    Low,
    High,
}

#[derive(ElasticQueue)]
struct Job {
    #[elastic_queue(priority)]
    level: Level,
}

fn main() {
    let jobs = JobQueue::new().unwrap();
    let _ = jobs.try_reserve();
    let _ = jobs.try_reserve_for(&Job { level: Level::High });
    let _ = Level::Low;
}
