// `#[elasticq::queue]` cannot see the message's priorities: `reserve()` is there, behind a
// bound the message meets only without priority levels, and the error names the way out.
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

#[elasticq::queue(message = Job)]
struct Jobs;

fn main() {
    let jobs = Jobs::new().unwrap();
    let _ = jobs.reserve();
    let _ = (Level::Low, Level::High);
}
