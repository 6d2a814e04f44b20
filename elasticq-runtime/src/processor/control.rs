//! The state a processor's handle shares with its workers.

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use super::outcome::Counters;
use super::{ProcessorError, ProcessorOptions, ProcessorSettings, TakenBatch};

#[derive(Clone, Copy, Debug)]
pub(crate) struct State {
    pub(crate) settings: ProcessorSettings,
    pub(crate) stopping: bool,
}

pub(crate) struct Control<B> {
    /// Async workers wait on it for changes; threads read it after the condvar wakes them.
    state: watch::Sender<State>,
    lock: Mutex<()>,
    changed: Condvar,
    pub(crate) counters: Counters,
    /// Per partition, the batch being processed: a shutdown that times out hands it back.
    pub(crate) in_flight: Vec<Mutex<Option<B>>>,
}

impl<B> Control<B> {
    pub(crate) fn new(settings: ProcessorSettings, partitions: usize) -> Self {
        let (state, _) = watch::channel(State {
            settings,
            stopping: false,
        });
        Self {
            state,
            lock: Mutex::new(()),
            changed: Condvar::new(),
            counters: Counters::default(),
            in_flight: (0..partitions).map(|_| Mutex::new(None)).collect(),
        }
    }

    pub(crate) fn state(&self) -> State {
        *self.state.borrow()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<State> {
        self.state.subscribe()
    }

    pub(crate) fn update(&self, options: &ProcessorOptions) -> Result<(), ProcessorError> {
        let mut outcome = Ok(());
        self.state.send_if_modified(|state| {
            if state.stopping {
                outcome = Err(ProcessorError::Stopped);
                return false;
            }
            match options.apply_to(state.settings) {
                Ok(settings) => {
                    state.settings = settings;
                    true
                }
                Err(error) => {
                    outcome = Err(error);
                    false
                }
            }
        });
        if outcome.is_ok() {
            self.wake_threads();
        }
        outcome
    }

    pub(crate) fn stop(&self) {
        self.state.send_modify(|state| state.stopping = true);
        self.wake_threads();
    }

    fn wake_threads(&self) {
        drop(self.lock.lock());
        self.changed.notify_all();
    }

    /// Sleeps the calling thread until `deadline`, a change of settings, or a stop; returns
    /// the state then.
    pub(crate) fn sleep_until(
        &self,
        deadline: std::time::Instant,
        seen: &mut watch::Receiver<State>,
    ) -> State {
        let mut guard = self.lock.lock();
        while !seen.has_changed().unwrap_or(true) {
            if self.changed.wait_until(&mut guard, deadline).timed_out() {
                break;
            }
        }
        *seen.borrow_and_update()
    }
}

impl<B: TakenBatch> Control<B> {
    /// Takes back the batches being processed (after the workers stopped or were abandoned).
    pub(crate) fn take_in_flight(&self) -> Vec<B::Item> {
        self.in_flight
            .iter()
            .filter_map(|slot| slot.lock().take())
            .flat_map(TakenBatch::into_items)
            .collect()
    }

    /// How many messages the workers hold in batches being processed.
    pub(crate) fn in_flight_len(&self) -> usize {
        self.in_flight
            .iter()
            .map(|slot| slot.lock().as_ref().map_or(0, TakenBatch::len))
            .sum()
    }
}
