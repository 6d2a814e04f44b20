//! Permits against a model: random reservations, permit pushes, dropped permits, plain
//! pushes and pops on each engine, checked call by call against a count of held places and a
//! `VecDeque`. A place held is counted against the maximum with the queued messages, so a
//! plain push is refused exactly when the two fill it, and a reservation is granted exactly
//! when its places fit.

use std::collections::VecDeque;

use elasticq::{NoRoom, Permit, PushError};
use proptest::prelude::*;

use crate::common::*;

#[derive(Clone, Debug)]
enum Op {
    Reserve(usize),
    PushHeld,
    DropHeld,
    Push,
    Pop,
    PopBatch(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..=3usize).prop_map(Op::Reserve),
        Just(Op::PushHeld),
        Just(Op::DropHeld),
        Just(Op::Push),
        Just(Op::Pop),
        (1..=3usize).prop_map(Op::PopBatch),
    ]
}

/// Runs `ops` on a queue with the calls of `$queue`, checking every result.
macro_rules! check_against_model {
    ($queue:expr, $message:ident, $ops:expr) => {{
        let queue = $queue;
        let mut held: Vec<Permit<'_, $message>> = Vec::new();
        let mut model: VecDeque<u32> = VecDeque::new();
        let mut next = 0u32;
        let message = |seq| $message { producer: 0, seq };
        for op in $ops {
            match op {
                Op::Reserve(n) => {
                    let fits = model.len() + held.len() + n <= MAX;
                    match queue.try_reserve_many(n) {
                        Ok(permits) => {
                            prop_assert!(fits, "{n} places granted beyond the maximum");
                            held.extend(permits);
                        }
                        Err(refused) => {
                            prop_assert!(!fits, "{n} places refused with room");
                            prop_assert_eq!(refused, NoRoom::Full);
                        }
                    }
                }
                Op::PushHeld => {
                    if let Some(permit) = held.pop() {
                        permit.push(message(next));
                        model.push_back(next);
                        next += 1;
                    }
                }
                Op::DropHeld => drop(held.pop()),
                Op::Push => {
                    let fits = model.len() + held.len() < MAX;
                    match queue.push(message(next)) {
                        Ok(()) => {
                            prop_assert!(fits, "a push took a held place");
                            model.push_back(next);
                        }
                        Err(PushError::Full(_)) => prop_assert!(!fits, "a push refused with room"),
                        Err(other) => prop_assert!(false, "unexpected {other:?}"),
                    }
                    next += 1;
                }
                Op::Pop => prop_assert_eq!(queue.pop().map(|m| m.seq), model.pop_front()),
                Op::PopBatch(n) => {
                    let expected: Vec<u32> = (0..n).map_while(|_| model.pop_front()).collect();
                    let popped: Vec<u32> = queue.pop_batch(n).iter().map(|m| m.seq).collect();
                    prop_assert_eq!(popped, expected);
                }
            }
            prop_assert_eq!(queue.len(), model.len());
        }
        drop(held);
        // Every place held was given back or used: the whole maximum is free again.
        queue.clear();
        prop_assert!(queue.try_reserve_many(MAX).is_ok());
    }};
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn locked_places_match_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        check_against_model!(LockedQueue::new().unwrap(), Locked, ops);
    }

    #[test]
    fn lock_free_places_match_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        check_against_model!(FreeQueue::new().unwrap(), Free, ops);
    }
}
