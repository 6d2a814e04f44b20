//! Tests of the log against a simulated file system: crashes at every operation boundary
//! (`crash`, and `evicting` for a queue that evicts its oldest messages) and injected `ENOSPC` / `EIO` (`faults`). `sim` is the file system, `scenario`
//! the calls, the model of their promises and the check of a recovered queue.

mod checkpoint;
mod crash;
mod evicting;
mod faults;
mod log_id;
mod scenario;
mod sim;
mod waits;
