//! A message derived inside a `#[no_implicit_prelude]` module: the generated code names
//! everything through absolute paths.

#[no_implicit_prelude]
mod messages {
    #[derive(::elasticq::ElasticQueue, ::core::fmt::Debug, ::core::cmp::PartialEq)]
    #[elastic_queue(engine = lock_free, capacity(initial = 2, max = 8))]
    pub struct Sample {
        pub sensor: u32,
        pub label: ::std::string::String,
    }

    #[derive(::elasticq::ElasticQueue, ::core::fmt::Debug, ::core::cmp::PartialEq)]
    pub enum Command<T: ::core::marker::Send>
    where
        T: ::core::clone::Clone,
    {
        Run(T),
        Halt,
    }

    #[::elasticq::queue(message = Sample, engine = locked)]
    pub struct SampleLog;

    pub fn round_trip() {
        let queue = SampleQueue::new().unwrap();
        let sample = Sample {
            sensor: 1,
            label: ::std::string::String::new(),
        };
        queue.push(sample).unwrap();
        let popped = queue.pop().unwrap();
        ::std::assert_eq!(popped.sensor, 1);
    }
}

use messages::{Command, CommandQueue, Sample, SampleLog, SampleQueue};

fn main() {
    messages::round_trip();

    let queue = SampleQueue::new().unwrap();
    queue.push(Sample { sensor: 2, label: "b".to_owned() }).unwrap();
    assert_eq!(queue.pop().map(|s| s.sensor), Some(2));

    let commands = CommandQueue::<u8>::new().unwrap();
    commands.push(Command::Run(7)).unwrap();
    assert_eq!(commands.pop(), Some(Command::Run(7)));

    let log = SampleLog::new().unwrap();
    log.push(Sample { sensor: 3, label: String::new() }).unwrap();
    assert_eq!(log.len(), 1);
}
