//! The queue takes the message's visibility: `pub(crate)`, `pub(super)` and private messages
//! are usable from a sibling function, and a `pub` queue of a private-field message is fine.

mod wire {
    use elasticq::ElasticQueue;

    #[derive(ElasticQueue, Debug, PartialEq)]
    pub(crate) struct Crate {
        pub(crate) id: u32,
    }

    #[derive(ElasticQueue, Debug, PartialEq)]
    pub(super) struct Super(pub(super) u32);

    #[derive(ElasticQueue, Debug, PartialEq)]
    struct Private(u32);

    #[derive(ElasticQueue, Debug, PartialEq)]
    pub struct Public {
        id: u32,
    }

    impl Public {
        pub fn new(id: u32) -> Self {
            Self { id }
        }

        pub fn id(&self) -> u32 {
            self.id
        }
    }

    pub(crate) fn private_round_trip() -> u32 {
        let queue = PrivateQueue::new().unwrap();
        queue.push(Private(3)).unwrap();
        queue.pop().unwrap().0
    }
}

#[derive(elasticq::ElasticQueue, Debug, PartialEq)]
struct TopLevel(u8);

fn use_crate_queue() -> u32 {
    let queue = wire::CrateQueue::new().unwrap();
    queue.push(wire::Crate { id: 1 }).unwrap();
    queue.pop().unwrap().id
}

fn use_super_queue() -> u32 {
    let queue = wire::SuperQueue::new().unwrap();
    queue.push(wire::Super(2)).unwrap();
    queue.pop().unwrap().0
}

fn use_private_queue() -> u8 {
    let queue = TopLevelQueue::new().unwrap();
    queue.push(TopLevel(4)).unwrap();
    queue.pop().unwrap().0
}

fn main() {
    assert_eq!(use_crate_queue(), 1);
    assert_eq!(use_super_queue(), 2);
    assert_eq!(wire::private_round_trip(), 3);
    assert_eq!(use_private_queue(), 4);

    let public = wire::PublicQueue::new().unwrap();
    public.push(wire::Public::new(5)).unwrap();
    assert_eq!(public.pop().map(|p| p.id()), Some(5));
}
