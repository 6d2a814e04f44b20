//! Model-based tests of held places, drop_oldest and byte bounds: both engines run random
//! sequences of pushes, pops, reservations, releases, permit pushes, batches and closes side
//! by side with a `VecDeque` model, under random maximums, overflow policies and byte
//! bounds, with a weight that the message carries (its low three bits).
//!
//! After every operation the engine's result must equal the model's (values, refusals, the
//! values handed back and the messages evicted, in order), and `stats()` must agree on
//! `len`, `bytes` and `dropped`, with `enqueued == dequeued + dropped + len`. Held places
//! never exceed the maximum in the model, and the engines must refuse what the model refuses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use elasticq_runtime::{
    Config, Engine, Hooks, Lane, LockFreeQueue, LockedQueue, NoRoom, Overflow, PushError, Room,
};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

type Checked = Result<(), TestCaseError>;

/// The weight a message carries.
fn weight(value: &u32) -> usize {
    (value & 7) as usize
}

#[derive(Clone, Debug)]
enum Op {
    Push(u32),
    Pop,
    Reserve(usize),
    Release(usize),
    PushReserved(u32),
    PushBatch(Vec<u32>),
    PopBatch(usize),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..8u32).prop_map(Op::Push),
        4 => Just(Op::Pop),
        3 => (0..4usize).prop_map(Op::Reserve),
        2 => (1..3usize).prop_map(Op::Release),
        3 => (0..8u32).prop_map(Op::PushReserved),
        1 => prop::collection::vec(0..8u32, 0..5).prop_map(Op::PushBatch),
        1 => (0..4usize).prop_map(Op::PopBatch),
        1 => Just(Op::Close),
    ]
}

#[derive(Clone, Copy, Debug)]
struct Setup {
    max: usize,
    overflow: Overflow,
    max_bytes: Option<usize>,
    weighted: bool,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        1..=8usize,
        prop_oneof![Just(Overflow::Reject), Just(Overflow::DropOldest)],
        prop_oneof![Just(None), (1..=24usize).prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(|(max, overflow, max_bytes, weighted)| Setup {
            max,
            overflow,
            // A byte bound needs a weight.
            max_bytes: if weighted { max_bytes } else { None },
            weighted,
        })
}

/// What a lane should do, from the room API's documentation.
struct Model {
    setup: Setup,
    items: VecDeque<u32>,
    held: usize,
    bytes: usize,
    dropped: u64,
    closed: bool,
}

impl Model {
    fn weigh(&self, value: u32) -> usize {
        if self.setup.weighted {
            weight(&value)
        } else {
            0
        }
    }

    fn has_place(&self, weight: usize) -> bool {
        self.items.len() + self.held < self.setup.max
            && self
                .setup
                .max_bytes
                .is_none_or(|bound| self.bytes + weight <= bound)
    }

    fn evict(&mut self, evicted: &mut Vec<u32>) -> bool {
        let Some(oldest) = self.items.pop_front() else {
            return false;
        };
        self.bytes -= self.weigh(oldest);
        self.dropped += 1;
        evicted.push(oldest);
        true
    }

    /// A push: `Ok` or the refusal, with what it evicted.
    fn push(&mut self, value: u32, evicted: &mut Vec<u32>) -> Result<(), PushError<u32>> {
        if self.closed {
            return Err(PushError::Closed(value));
        }
        let w = self.weigh(value);
        if !self.has_place(w) {
            let can_evict = self.setup.overflow == Overflow::DropOldest
                && self.setup.max_bytes.is_none_or(|bound| w <= bound)
                && self.held < self.setup.max;
            if !can_evict {
                return Err(PushError::Full(value));
            }
            while !self.has_place(w) && self.evict(evicted) {}
        }
        self.items.push_back(value);
        self.bytes += w;
        Ok(())
    }

    fn reserve(&mut self, n: usize, evicted: &mut Vec<u32>) -> Result<(), NoRoom> {
        if self.closed {
            return Err(NoRoom::Closed);
        }
        let wanted = self.held + n;
        if wanted > self.setup.max {
            return Err(NoRoom::Full);
        }
        while self.items.len() + wanted > self.setup.max {
            if self.setup.overflow != Overflow::DropOldest {
                return Err(NoRoom::Full);
            }
            self.evict(evicted);
        }
        self.held = wanted;
        Ok(())
    }

    fn pop(&mut self) -> Option<u32> {
        let value = self.items.pop_front()?;
        self.bytes -= self.weigh(value);
        Some(value)
    }
}

fn build<E: Engine<u32> + Lane<u32>>(setup: Setup, evicted: &Arc<Mutex<Vec<u32>>>) -> E {
    let mut config = Config::new()
        .initial_capacity(1)
        .min_capacity(1)
        .max_capacity(setup.max)
        .overflow(setup.overflow);
    if let Some(bound) = setup.max_bytes {
        config = config.max_bytes(bound);
    }
    let mut lane = E::with_config(config).expect("a valid configuration");
    let sink = Arc::clone(evicted);
    let mut hooks = Hooks::new().evicted(move |m: u32| sink.lock().expect("sink").push(m));
    if setup.weighted {
        hooks = hooks.weight(weight);
    }
    Lane::set_hooks(&mut lane, &hooks);
    lane
}

fn run<E: Engine<u32> + Room<u32> + Lane<u32>>(setup: Setup, ops: &[Op]) -> Checked {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let engine: E = build(setup, &evicted);
    let mut model = Model {
        setup,
        items: VecDeque::new(),
        held: 0,
        bytes: 0,
        dropped: 0,
        closed: false,
    };
    let mut serial = 0u32;
    for op in ops {
        let mut expected_evicted = Vec::new();
        // Each message is unique: a serial number above its three weight bits.
        let mut fresh = |w: u32| {
            serial += 1;
            serial << 3 | w
        };
        match op {
            Op::Push(w) => {
                let value = fresh(*w);
                let want = model.push(value, &mut expected_evicted);
                prop_assert_eq!(engine.push(value), want, "{:?}", op);
            }
            Op::Pop => prop_assert_eq!(engine.pop(), model.pop()),
            Op::Reserve(n) => {
                let want = model.reserve(*n, &mut expected_evicted);
                prop_assert_eq!(engine.try_reserve(*n), want, "{:?}", op);
            }
            Op::Release(n) => {
                let n = (*n).min(model.held);
                model.held -= n;
                engine.release(n);
            }
            Op::PushReserved(w) => {
                if model.held == 0 {
                    continue;
                }
                let value = fresh(*w);
                model.held -= 1;
                model.bytes += model.weigh(value);
                model.items.push_back(value);
                engine.push_reserved(value);
            }
            Op::PushBatch(ws) => {
                let values: Vec<u32> = ws.iter().map(|w| fresh(*w)).collect();
                let want = if model.closed {
                    Err(PushError::Closed(values.clone()))
                } else {
                    let mut result = Ok(());
                    for (i, &value) in values.iter().enumerate() {
                        if model.push(value, &mut expected_evicted).is_err() {
                            result = Err(PushError::Full(values[i..].to_vec()));
                            break;
                        }
                    }
                    result
                };
                prop_assert_eq!(engine.push_batch(values), want, "{:?}", op);
            }
            Op::PopBatch(n) => {
                let want: Vec<u32> = (0..*n).map_while(|_| model.pop()).collect();
                prop_assert_eq!(engine.pop_batch(*n), want);
            }
            Op::Close => {
                model.closed = true;
                engine.close();
            }
        }
        let got_evicted: Vec<u32> = std::mem::take(&mut *evicted.lock().expect("sink"));
        prop_assert_eq!(&got_evicted, &expected_evicted, "evicted by {:?}", op);
        prop_assert!(model.items.len() + model.held <= setup.max);
        let stats = engine.stats();
        prop_assert_eq!(stats.len, model.items.len());
        prop_assert_eq!(stats.dropped, model.dropped);
        prop_assert_eq!(stats.bytes, model.bytes);
        prop_assert_eq!(
            stats.enqueued,
            stats.dequeued + stats.dropped + stats.len as u64
        );
        prop_assert!(stats.capacity <= setup.max);
    }
    let drained = engine.drain();
    prop_assert_eq!(drained, Vec::from(model.items.clone()));
    prop_assert_eq!(engine.stats().bytes, 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn locked_matches_the_room_model(setup in setup(), ops in prop::collection::vec(op(), 1..60)) {
        run::<LockedQueue<u32>>(setup, &ops)?;
    }

    #[test]
    fn lock_free_matches_the_room_model(setup in setup(), ops in prop::collection::vec(op(), 1..60)) {
        run::<LockFreeQueue<u32>>(setup, &ops)?;
    }
}
