//! Generic messages: type parameters with bounds and a where clause, const generics, and a
//! default type argument; the queue carries the message's parameters.

use std::fmt::Debug;

use elasticq::{ElasticQueue, Message};

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(capacity(max = 16))]
struct Envelope<T: Send + Debug, K = u8>
where
    T: Clone + PartialEq,
    K: Copy,
{
    body: T,
    key: K,
}

#[derive(ElasticQueue, Debug, PartialEq)]
struct Frame<const N: usize> {
    bytes: [u8; N],
}

#[derive(ElasticQueue, Debug, PartialEq)]
enum Either<L, R>
where
    L: Debug,
{
    Left(L),
    Right(R),
}

fn main() {
    let envelopes = EnvelopeQueue::<String>::new().unwrap();
    envelopes
        .push(Envelope { body: "x".to_owned(), key: 1 })
        .unwrap();
    assert_eq!(envelopes.pop(), Some(Envelope { body: "x".to_owned(), key: 1 }));
    assert_eq!(envelopes.config().get_max_capacity(), 16);

    let keyed = EnvelopeQueue::<u32, char>::new().unwrap();
    keyed.push(Envelope { body: 5, key: 'k' }).unwrap();
    assert_eq!(keyed.pop().map(|e| e.key), Some('k'));

    let frames = FrameQueue::<4>::new().unwrap();
    frames.push(Frame { bytes: [1, 2, 3, 4] }).unwrap();
    assert_eq!(frames.pop(), Some(Frame { bytes: [1, 2, 3, 4] }));

    let eithers: EitherQueue<i32, &'static str> = EitherQueue::new().unwrap();
    eithers.push(Either::Right("r")).unwrap();
    assert_eq!(eithers.pop(), Some(Either::Right("r")));

    fn queue_name<M: Message>() -> &'static str {
        std::any::type_name::<M::Queue>()
    }
    assert!(queue_name::<Frame<2>>().ends_with("FrameQueue<2>"));
    assert_eq!(<Envelope<u8> as Message>::NAME, "Envelope");
}
