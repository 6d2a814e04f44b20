//! Priorities, partitions and map mode inside a `#[no_implicit_prelude]` module, next to user
//! items named like what the generated code uses (`Hash`, `Borrow`, `Priority`, `Put`,
//! `Entry`, `Eq`, `Sized`, `u64`): the generated code names everything through absolute
//! paths.
#![allow(dead_code, non_camel_case_types)]

#[no_implicit_prelude]
mod messages {
    struct Hash;
    struct Borrow;
    struct Priority;
    struct Put;
    struct Entry;
    struct Eq;
    struct Sized;
    struct u64;

    #[derive(::elasticq::Priority, ::core::clone::Clone, ::core::marker::Copy)]
    pub enum Level {
        Low,
        High,
    }

    #[derive(::elasticq::ElasticQueue)]
    #[elastic_queue(partitions = 2, fair(max_consecutive = 2))]
    pub struct Job {
        #[elastic_queue(priority)]
        pub level: Level,
        #[elastic_queue(partition_key)]
        pub owner: ::std::string::String,
    }

    #[derive(::elasticq::ElasticQueue)]
    #[elastic_queue(partition_key = Self::route, partitions = auto)]
    pub enum Event {
        #[elastic_queue(priority = 1)]
        Alarm(::core::primitive::u32),
        Tick,
    }

    impl Event {
        fn route(&self) -> ::core::primitive::u32 {
            match self {
                Event::Alarm(id) => *id,
                Event::Tick => 0,
            }
        }
    }

    #[derive(::elasticq::ElasticQueue, ::core::clone::Clone)]
    #[elastic_queue(mode = map)]
    pub struct Gauge {
        #[elastic_queue(key)]
        pub name: ::std::string::String,
        #[elastic_queue(version)]
        pub at: ::core::primitive::u64,
    }

    #[::elasticq::queue(message = Job, partitions = 3)]
    pub struct JobLog;

    pub fn round_trip() {
        let jobs = JobQueue::new().unwrap();
        jobs.push(Job {
            level: Level::High,
            owner: ::std::borrow::ToOwned::to_owned("a"),
        })
        .unwrap();
        let _ = jobs.len_priority(Level::High);
        let _ = jobs.partition_of("a");
        let _ = jobs.pop_priority(Level::Low);
        let events = EventQueue::new().unwrap();
        events.push(Event::Tick).unwrap();
        let _ = events.partition_of(&0u32);
        let gauges = GaugeQueue::new().unwrap();
        let _ = gauges.put(Gauge {
            name: ::std::borrow::ToOwned::to_owned("cpu"),
            at: 1,
        });
        let _ = gauges.get("cpu");
        let _ = gauges.remove("cpu");
        let _ = gauges.pop_entry();
        let log = JobLog::new().unwrap();
        let _ = log.pop_priority(Level::High);
        let _ = log.partition_of("a");
    }
}

fn main() {
    messages::round_trip();
}
