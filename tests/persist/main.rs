#![cfg(feature = "persist")]
//! Persisted queues: the log under random operations and damage, and real processes killed
//! with SIGKILL or aborted. One module per behaviour; `common`, `harness` and `records` are
//! the helpers they share.
//!
//! Tests that need a process of their own re-execute this binary (`current_exe()`) with the
//! child's full test name (`crash::crash_child`, `regressions::refusal_child`, ...) and
//! `--exact`: a module renamed here must be renamed in those filters too.
//!
//! `PROPTEST_CASES=N` overrides every property's case count.

mod common;
mod harness;
mod records;

mod ack_all_and_cuts;
mod boundaries;
mod capacity_at_reopen;
mod checkpoints;
mod compaction;
mod crash;
mod damage;
mod headers;
mod locking;
mod log_model;
mod nack;
mod partition_count;
mod random_files;
mod regressions;
