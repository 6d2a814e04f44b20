//! The stream and consumers a queue runs on: created when missing, compared setting by
//! setting when present, and never changed: a stream another process created with other
//! settings is an error naming the setting, not something to overwrite under it.

use async_nats::jetstream::consumer::{pull, AckPolicy, Consumer, DeliverPolicy};
use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::Context;
use async_nats::jetstream::ErrorCode;

use super::error::JetStreamError;
use super::options::{JetStreamOptions, StreamStorage};

/// The consumers of a queue, one per partition and level: `consumers[partition][level]`.
pub(crate) type Consumers = Vec<Vec<Consumer<pull::Config>>>;

/// The stream's configuration as `options` declare it. Work-queue retention: a message is
/// removed once acknowledged, so the stream holds exactly what is owed. Discard `new`: a
/// full stream refuses a publish (handed back to the producer) instead of dropping the
/// oldest message nobody has processed.
pub(crate) fn stream_config(options: &JetStreamOptions) -> stream::Config {
    stream::Config {
        name: options.stream.clone(),
        subjects: vec![format!("{}.>", options.subject)],
        retention: RetentionPolicy::WorkQueue,
        discard: DiscardPolicy::New,
        storage: match options.storage {
            StreamStorage::File => StorageType::File,
            StreamStorage::Memory => StorageType::Memory,
        },
        num_replicas: options.replicas,
        max_age: options.max_age,
        max_bytes: options.max_bytes.map_or(-1, |b| b as i64),
        duplicate_window: options.duplicate_window,
        ..Default::default()
    }
}

/// A consumer's configuration: durable, explicit acks, filtered on its subject.
pub(crate) fn consumer_config(
    options: &JetStreamOptions,
    partition: usize,
    level: usize,
) -> pull::Config {
    pull::Config {
        durable_name: Some(options.consumer_of(partition, level)),
        filter_subject: options.subject_of(partition, level),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        ack_wait: options.ack_wait,
        max_deliver: options.max_deliver.map_or(-1, i64::from),
        ..Default::default()
    }
}

/// Creates the stream, or checks that the existing one has the declared settings.
pub(crate) async fn ensure_stream(
    context: &Context,
    options: &JetStreamOptions,
) -> Result<stream::Stream, JetStreamError> {
    let declared = stream_config(options);
    match context.get_stream(&options.stream).await {
        Ok(stream) => {
            compare_stream(&stream.cached_info().config, &declared)?;
            Ok(stream)
        }
        Err(error) => match error.kind() {
            GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND => {
                context
                    .create_stream(declared)
                    .await
                    .map_err(|e| setup("create the stream", e))
            }
            _ => Err(setup("read the stream", error)),
        },
    }
}

/// The first declared setting the existing stream does not have.
fn compare_stream(
    existing: &stream::Config,
    declared: &stream::Config,
) -> Result<(), JetStreamError> {
    let conflict = |setting, have: String, want: String| {
        Err(JetStreamError::StreamConflict {
            stream: declared.name.clone(),
            setting,
            existing: have,
            declared: want,
        })
    };
    if existing.subjects != declared.subjects {
        return conflict(
            "subject",
            format!("{:?}", existing.subjects),
            format!("{:?}", declared.subjects),
        );
    }
    if existing.retention != declared.retention {
        return conflict(
            "retention",
            format!("{:?}", existing.retention),
            format!("{:?}", declared.retention),
        );
    }
    if existing.storage != declared.storage {
        return conflict(
            "storage",
            storage_name(existing.storage),
            storage_name(declared.storage),
        );
    }
    if existing.num_replicas.max(1) != declared.num_replicas {
        return conflict(
            "replicas",
            existing.num_replicas.to_string(),
            declared.num_replicas.to_string(),
        );
    }
    if existing.max_age != declared.max_age {
        return conflict(
            "max_age",
            format!("{:?}", existing.max_age),
            format!("{:?}", declared.max_age),
        );
    }
    if existing.max_bytes != declared.max_bytes {
        return conflict(
            "max_bytes",
            existing.max_bytes.to_string(),
            declared.max_bytes.to_string(),
        );
    }
    if existing.discard != declared.discard {
        return conflict(
            "discard",
            format!("{:?}", existing.discard),
            format!("{:?}", declared.discard),
        );
    }
    Ok(())
}

fn storage_name(storage: StorageType) -> String {
    match storage {
        StorageType::File => "file".into(),
        StorageType::Memory => "memory".into(),
    }
}

/// Creates every consumer, or checks the existing ones.
pub(crate) async fn ensure_consumers(
    stream: &stream::Stream,
    options: &JetStreamOptions,
) -> Result<Consumers, JetStreamError> {
    let mut consumers = Vec::with_capacity(options.partitions);
    for partition in 0..options.partitions {
        let mut levels = Vec::with_capacity(options.levels);
        for level in 0..options.levels {
            levels.push(ensure_consumer(stream, options, partition, level).await?);
        }
        consumers.push(levels);
    }
    Ok(consumers)
}

async fn ensure_consumer(
    stream: &stream::Stream,
    options: &JetStreamOptions,
    partition: usize,
    level: usize,
) -> Result<Consumer<pull::Config>, JetStreamError> {
    let declared = consumer_config(options, partition, level);
    let name = options.consumer_of(partition, level);
    let mut consumer: Consumer<pull::Config> = stream
        .get_or_create_consumer(&name, declared.clone())
        .await
        .map_err(|e| setup("create or read a consumer", e))?;
    let existing = &consumer
        .info()
        .await
        .map_err(|e| setup("read a consumer", e))?
        .config;
    let conflict = |setting, existing: String, declared: String| {
        Err(JetStreamError::ConsumerConflict {
            consumer: name.clone(),
            setting,
            existing,
            declared,
        })
    };
    if existing.filter_subject != declared.filter_subject {
        return conflict(
            "subject",
            existing.filter_subject.clone(),
            declared.filter_subject,
        );
    }
    if existing.ack_policy != AckPolicy::Explicit {
        return conflict(
            "ack_policy",
            format!("{:?}", existing.ack_policy),
            "Explicit".into(),
        );
    }
    if existing.ack_wait != declared.ack_wait {
        return conflict(
            "ack_wait",
            format!("{:?}", existing.ack_wait),
            format!("{:?}", declared.ack_wait),
        );
    }
    if existing.max_deliver.max(-1) != declared.max_deliver
        && !(existing.max_deliver <= 0 && declared.max_deliver <= 0)
    {
        return conflict(
            "max_deliver",
            existing.max_deliver.to_string(),
            declared.max_deliver.to_string(),
        );
    }
    Ok(consumer)
}

fn setup(
    step: &'static str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> JetStreamError {
    JetStreamError::Setup {
        step,
        source: Box::new(error),
    }
}
