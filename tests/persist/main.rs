#![cfg(feature = "persist")]
//! Persisted queues: the log under random operations and damage, and real processes killed
//! with SIGKILL or aborted.
//!
//! Tests that need a process of their own re-execute this binary (`current_exe()`) with the
//! child's full test name (`crash::crash_child`, `regressions::refusal_child`, ...) and
//! `--exact`: a module renamed here must be renamed in those filters too.

mod crash;
mod log_model;
mod regressions;
