//! A processor's settings, and changes to them.

use std::time::Duration;

/// How often a worker drains its partition, how many messages one call gets, and how the
/// processor retries and shuts down. Built from [`ProcessorOptions`]; read back with
/// [`ProcessorHandle::settings`](crate::ProcessorHandle::settings).
///
/// ```
/// use std::time::Duration;
/// use elasticq_runtime::ProcessorSettings;
/// let settings = ProcessorSettings::default();
/// assert_eq!(settings.interval, Duration::from_secs(5)); // PartitionedBuffer's defaults
/// assert_eq!(settings.batch_size, 10);
/// assert_eq!(settings.timeout, Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessorSettings {
    /// Time between two drains of a partition (default 5 s).
    pub interval: Duration,
    /// The most messages one call of the processor function receives (default 10).
    pub batch_size: usize,
    /// How long `shutdown` waits for what is queued to be processed (default 60 s).
    pub timeout: Duration,
    /// How many times a failed batch is tried again before it is given up (default 3).
    pub retries: u32,
    /// The wait before the first retry; each later retry waits twice as long as the one
    /// before, up to [`MAX_BACKOFF`] (default 100 ms).
    pub backoff: Duration,
}

/// The longest wait between two tries of a failed batch.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Default for ProcessorSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            batch_size: 10,
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(100),
        }
    }
}

impl ProcessorSettings {
    /// The wait before retry number `retry` (1 for the first).
    pub(crate) fn backoff_before(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.backoff
            .checked_mul(1 << doublings)
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF)
    }

    fn validate(&self) -> Result<(), ProcessorError> {
        if self.interval.is_zero() {
            return Err(ProcessorError::InvalidOption {
                option: "interval",
                reason: "must be longer than zero",
            });
        }
        if self.batch_size == 0 {
            return Err(ProcessorError::InvalidOption {
                option: "batch_size",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// Changes to a processor's settings: only the options set here change. Used by
/// [`ProcessorHandle::update_options`](crate::ProcessorHandle::update_options) on running
/// workers.
///
/// ```
/// use std::time::Duration;
/// use elasticq_runtime::ProcessorOptions;
/// let faster = ProcessorOptions::new().interval(Duration::from_millis(50)).batch_size(500);
/// # drop(faster);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessorOptions {
    interval: Option<Duration>,
    batch_size: Option<usize>,
    timeout: Option<Duration>,
    retries: Option<u32>,
    backoff: Option<Duration>,
}

impl ProcessorOptions {
    /// No change.
    ///
    /// ```
    /// let none = elasticq_runtime::ProcessorOptions::new();
    /// # drop(none);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the time between two drains of a partition (must be longer than zero).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = elasticq_runtime::ProcessorOptions::new().interval(Duration::from_secs(1));
    /// # drop(options);
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Sets the most messages one call receives (at least 1).
    ///
    /// ```
    /// let options = elasticq_runtime::ProcessorOptions::new().batch_size(100);
    /// # drop(options);
    /// ```
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = Some(batch_size);
        self
    }

    /// Sets how long `shutdown` waits for the queued messages to be processed.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = elasticq_runtime::ProcessorOptions::new().timeout(Duration::from_secs(10));
    /// # drop(options);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets how many times a failed batch is tried again (0: never).
    ///
    /// ```
    /// let options = elasticq_runtime::ProcessorOptions::new().retries(5);
    /// # drop(options);
    /// ```
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Sets the wait before the first retry (doubled for each later one).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = elasticq_runtime::ProcessorOptions::new().backoff(Duration::from_millis(10));
    /// # drop(options);
    /// ```
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// `settings` with these changes, if the result is valid.
    pub(crate) fn apply_to(
        &self,
        settings: ProcessorSettings,
    ) -> Result<ProcessorSettings, ProcessorError> {
        let changed = ProcessorSettings {
            interval: self.interval.unwrap_or(settings.interval),
            batch_size: self.batch_size.unwrap_or(settings.batch_size),
            timeout: self.timeout.unwrap_or(settings.timeout),
            retries: self.retries.unwrap_or(settings.retries),
            backoff: self.backoff.unwrap_or(settings.backoff),
        };
        changed.validate()?;
        Ok(changed)
    }
}

/// Why a processor could not start, or refused a change.
///
/// ```
/// use elasticq_runtime::{ProcessorError, ProcessorOptions, ProcessorSettings};
/// let error = ProcessorOptions::new().batch_size(0).validate_against(ProcessorSettings::default());
/// assert_eq!(error, Err(ProcessorError::InvalidOption { option: "batch_size", reason: "must be at least 1" }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessorError {
    /// An option has a value the processor cannot run with.
    InvalidOption {
        /// The option's name, as its setter is called.
        option: &'static str,
        /// What a valid value is.
        reason: &'static str,
    },
    /// The tokio-based processor was started outside a tokio runtime; start it inside one,
    /// or use the thread-based variant.
    NoRuntime,
    /// The tokio runtime has no timer: build it with `enable_time` (or `enable_all`).
    NoTimer,
    /// The processor was shut down.
    Stopped,
    /// The operating system refused a worker thread.
    ThreadSpawn,
}

impl std::fmt::Display for ProcessorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidOption { option, reason } => {
                write!(f, "invalid processor option `{option}`: {reason}")
            }
            Self::NoRuntime => f.write_str(
                "no tokio runtime: spawn the processor inside one, or use `spawn_threads`",
            ),
            Self::NoTimer => f.write_str(
                "the tokio runtime has no timer: build it with `enable_time` or `enable_all`",
            ),
            Self::Stopped => f.write_str("the processor was shut down"),
            Self::ThreadSpawn => f.write_str("the operating system refused a worker thread"),
        }
    }
}

impl std::error::Error for ProcessorError {}

impl ProcessorOptions {
    /// Checks these changes against `settings` without applying them.
    ///
    /// ```
    /// use elasticq_runtime::{ProcessorOptions, ProcessorSettings};
    /// assert!(ProcessorOptions::new().batch_size(5).validate_against(ProcessorSettings::default()).is_ok());
    /// ```
    pub fn validate_against(&self, settings: ProcessorSettings) -> Result<(), ProcessorError> {
        self.apply_to(settings).map(drop)
    }
}
