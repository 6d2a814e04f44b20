//! One background thread that publishes every labelled queue's counters and gauges once a
//! second, so the hot path never touches a metric and a quiet queue's series stay current.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::Mutex;

/// How often the publisher reads every labelled queue's counters.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);

/// A queue whose counters can be read and published.
pub(crate) trait Publish: Send + Sync {
    fn publish(&self);
}

static SOURCES: OnceLock<Mutex<Vec<Weak<dyn Publish>>>> = OnceLock::new();

/// Adds `source` to the publisher, starting it on first use. A source is dropped from it once
/// its queue is dropped.
pub(crate) fn register(source: Weak<dyn Publish>) {
    let mut started = false;
    let sources = SOURCES.get_or_init(|| {
        started = true;
        Mutex::new(Vec::new())
    });
    sources.lock().push(source);
    if started {
        // Without the thread the series are still published by `publish_metrics` and on
        // drop; a process that cannot start one more thread loses only the freshness.
        let _ = std::thread::Builder::new()
            .name("elasticq-metrics".to_owned())
            .spawn(|| loop {
                std::thread::sleep(PUBLISH_INTERVAL);
                publish_all();
            });
    }
}

/// Removes every source that points at `source`'s allocation, so that its queue is owned
/// alone again (`Arc::get_mut`) until it is registered anew.
pub(crate) fn unregister(source: *const ()) {
    if let Some(sources) = SOURCES.get() {
        sources
            .lock()
            .retain(|registered| registered.as_ptr().cast::<()>() != source);
    }
}

fn publish_all() {
    let Some(sources) = SOURCES.get() else {
        return;
    };
    let live: Vec<Arc<dyn Publish>> = {
        let mut sources = sources.lock();
        sources.retain(|source| source.strong_count() > 0);
        sources.iter().filter_map(Weak::upgrade).collect()
    };
    for source in live {
        source.publish();
    }
}
