//! `examples/prometheus.rs` end to end: the example's workload and HTTP server, scraped with a
//! real HTTP client, and every series it reports checked in the exposition text against the
//! known sequence of operations and the queues' own counters.
//!
//! One test only: a process has one global recorder, and the queues bind to the one installed
//! when they are built.
#![cfg(all(feature = "metrics", feature = "tokio", feature = "persist"))]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use elasticq::metrics::{names, SAMPLE_EVERY};
use elasticq::Stats;

// The example's `main` and its argument parsing are not used here.
#[allow(dead_code)]
#[path = "../examples/prometheus.rs"]
mod example;

use example::{CLIENTS, FLAKY_CALLS, OUTBOX_EVENTS, PER_PRODUCER, PRODUCERS, RETAINED, TAIL};

/// The exposition's samples: (name, labels sorted) -> value.
type Samples = BTreeMap<(String, Vec<(String, String)>), f64>;

/// Parses `name{k="v",...} value` lines (the exporter escapes no label value here: they are
/// plain labels and numbers).
fn parse(body: &str) -> Samples {
    let mut samples = Samples::new();
    for line in body.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("a sample line without a value: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                let mut labels: Vec<(String, String)> = labels
                    .split(',')
                    .map(|pair| {
                        let (key, value) = pair
                            .split_once('=')
                            .unwrap_or_else(|| panic!("a label without a value in {line:?}"));
                        let value = value.trim_matches('"');
                        (key.to_owned(), value.to_owned())
                    })
                    .collect();
                labels.sort();
                (name, labels)
            }
            None => (series, Vec::new()),
        };
        let previous = samples.insert((name.to_owned(), labels), value);
        assert!(previous.is_none(), "a series twice: {line:?}");
    }
    samples
}

/// The value of `name` at exactly `labels`, failing the test with what there is instead.
fn value(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut key: Vec<(String, String)> = labels
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    key.sort();
    match samples.get(&(name.to_owned(), key)) {
        Some(value) => *value,
        None => {
            let present: Vec<_> = samples
                .keys()
                .filter(|(present, _)| present == name)
                .map(|(_, labels)| labels)
                .collect();
            panic!("no {name} at {labels:?}; it has {present:?}")
        }
    }
}

/// The `# TYPE` of `name`.
fn kind<'a>(body: &'a str, name: &str) -> &'a str {
    let prefix = format!("# TYPE {name} ");
    body.lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no TYPE line for {name}"))
}

/// A scope's counters and gauges, under the scope's names (`named`: the queue-wide name,
/// or its breakdown by partition or level), against the queue's own `Stats` for it.
fn assert_scope(
    samples: &Samples,
    named: impl Fn(&str) -> String,
    labels: &[(&str, &str)],
    stats: &Stats,
) {
    let expected = [
        (names::ENQUEUED, stats.enqueued as f64),
        (names::DEQUEUED, stats.dequeued as f64),
        (names::DROPPED, stats.dropped as f64),
        (names::REDELIVERED, stats.redelivered as f64),
        (names::RESIZES, stats.resizes as f64),
        (names::DEPTH, stats.len as f64),
        (names::CAPACITY, stats.capacity as f64),
        (names::MAX_CAPACITY, stats.max_capacity as f64),
        (names::BYTES, stats.bytes as f64),
    ];
    for (name, stat) in expected {
        let name = named(name);
        assert_eq!(value(samples, &name, labels), stat, "{name} at {labels:?}");
    }
    let reasons = [
        stats.rejected_full(),
        stats.rejected_closed,
        stats.rejected_invalid_priority,
        stats.rejected_write_failed,
    ];
    let rejected = named(names::REJECTED);
    for (reason, stat) in names::REASONS.into_iter().zip(reasons) {
        let mut at = labels.to_vec();
        at.push(("reason", reason));
        assert_eq!(
            value(samples, &rejected, &at),
            stat as f64,
            "{rejected} at {at:?}"
        );
    }
}

/// Every sample of `name` whose labels include `labels`, summed: what Prometheus's `sum()`
/// over the other labels gives.
fn sum(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|((present, at), _)| {
            present == name
                && labels
                    .iter()
                    .all(|(k, v)| at.iter().any(|(key, value)| key == k && value == v))
        })
        .map(|(_, value)| value)
        .sum()
}

fn same(name: &str) -> String {
    name.to_owned()
}

/// A client that follows no proxy (the server is on loopback) and hands back 4xx and 5xx
/// responses instead of turning them into errors.
fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Sends `request` as is and returns the status line of the answer.
fn raw_status_line(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a timeout");
    stream.write_all(request).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read to close");
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn the_example_serves_every_series_over_http() {
    let started = Instant::now();
    let handle = example::install_recorder().expect("install the recorder");
    let dir = tempfile::tempdir().expect("a temporary directory");
    // This thread starts its sampling count at zero: the workload's one push on it (the
    // refused one) is not timed, and the rest happen on threads of their own.
    let workload = example::run_workload(dir.path()).expect("the workload");
    let worked = started.elapsed();

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = listener.local_addr().expect("its address");
    let _server = example::serve(listener, handle).expect("start the server");
    let agent = client();
    let url = format!("http://{addr}/metrics");

    let mut response = agent.get(&url).call().expect("GET /metrics");
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "content type {content_type:?}"
    );
    let body = response.body_mut().read_to_string().expect("the body");
    let samples = parse(&body);

    // The types Prometheus is told (histograms are summaries by default).
    let counters = [
        names::ENQUEUED,
        names::DEQUEUED,
        names::REJECTED,
        names::DROPPED,
        names::REDELIVERED,
        names::RESIZES,
        names::BATCHES_PROCESSED,
        names::PROCESSING_FAILURES,
        names::PROCESSING_RETRIES,
        names::DEAD_LETTERED,
        names::PROCESSING_DROPPED,
        names::ACK_FAILURES,
        names::WAL_BYTES_WRITTEN,
        names::WAL_FSYNCS,
    ];
    let gauges = [
        names::DEPTH,
        names::CAPACITY,
        names::MAX_CAPACITY,
        names::BYTES,
        names::WAL_DISK_BYTES,
        names::UNACKED,
    ];
    let summaries = [
        names::OPERATION_DURATION,
        names::PROCESSING_DURATION,
        names::TIME_IN_QUEUE,
    ];
    for name in counters {
        assert_eq!(kind(&body, name), "counter", "{name}");
    }
    for name in gauges {
        assert_eq!(kind(&body, name), "gauge", "{name}");
    }
    for name in summaries {
        assert_eq!(kind(&body, name), "summary", "{name}");
    }
    for breakdown in [names::per_partition, names::per_priority] {
        assert_eq!(kind(&body, &breakdown(names::ENQUEUED)), "counter");
        assert_eq!(kind(&body, &breakdown(names::DEPTH)), "gauge");
    }
    // Every series Prometheus is told the type of has its help text.
    for line in body.lines() {
        if let Some(typed) = line.strip_prefix("# TYPE ") {
            let name = typed.split(' ').next().unwrap_or_default();
            assert!(
                body.lines()
                    .any(|help| help.starts_with(&format!("# HELP {name} "))),
                "no HELP for {name}"
            );
        }
    }

    // mqtt_publish, queue-wide: exact after the known sequence. The producers' pushes all fit,
    // the processor took them all, the tail pushed TAIL and popped all but RETAINED, and the
    // push after `close` was the one refusal.
    let pushed = PRODUCERS * PER_PRODUCER + TAIL;
    assert!(
        body.lines()
            .any(|line| line == format!("{}{{queue=\"mqtt_publish\"}} {pushed}", names::ENQUEUED)),
        "the enqueued line, verbatim"
    );
    let mqtt = [("queue", "mqtt_publish")];
    assert_eq!(value(&samples, names::ENQUEUED, &mqtt), pushed as f64);
    assert_eq!(
        value(&samples, names::DEQUEUED, &mqtt),
        (pushed - RETAINED) as f64
    );
    // The one refusal: the push after `close`.
    let closed = [("queue", "mqtt_publish"), ("reason", "closed")];
    assert_eq!(value(&samples, names::REJECTED, &closed), 1.0);
    assert_eq!(sum(&samples, names::REJECTED, &mqtt), 1.0);
    assert_eq!(value(&samples, names::DEPTH, &mqtt), RETAINED as f64);
    // 4 partitions of 3 levels, each of at most 8,192.
    assert_eq!(
        value(&samples, names::MAX_CAPACITY, &mqtt),
        (4 * 3 * 8_192) as f64
    );
    assert!(
        value(&samples, names::RESIZES, &mqtt) > 0.0,
        "lanes grew from 16"
    );
    let stats = workload.publishes.stats();
    assert_scope(&samples, same, &mqtt, &stats);

    // The sum rule: each of the queue-wide series, the per-partition and the per-level ones,
    // summed over all their labels, counts each message once.
    for (named, what) in [
        (same as fn(&str) -> String, "queue-wide"),
        (names::per_partition, "per partition"),
        (names::per_priority, "per level"),
    ] {
        assert_eq!(
            sum(&samples, &named(names::ENQUEUED), &mqtt),
            pushed as f64,
            "{what}"
        );
        assert_eq!(
            sum(&samples, &named(names::DEPTH), &mqtt),
            RETAINED as f64,
            "{what}"
        );
    }

    // Per partition and per priority level: each scope against the queue's own counters, and
    // the enqueued counts against where the example's publishes go (by client, by QoS).
    let mut by_partition = [0u64; 4];
    let mut by_level = [0u64; 3];
    let sent = (0..PRODUCERS)
        .flat_map(|producer| (0..PER_PRODUCER).map(move |seq| (producer, seq)))
        .chain((0..TAIL).map(|seq| (PRODUCERS, seq)));
    for (producer, seq) in sent {
        let publish = example::publish(producer, seq);
        by_partition[workload.publishes.partition_of(&publish.client_id)] += 1;
        by_level[publish.qos as usize] += 1;
    }
    assert_eq!(stats.partitions.len(), 4);
    for (partition, expected) in by_partition.iter().enumerate() {
        let p = partition.to_string();
        let at = [("queue", "mqtt_publish"), ("partition", p.as_str())];
        assert_eq!(
            value(&samples, &names::per_partition(names::ENQUEUED), &at),
            *expected as f64,
            "{at:?}"
        );
        assert_scope(
            &samples,
            names::per_partition,
            &at,
            &stats.partitions[partition],
        );
    }
    assert!(
        by_partition.iter().all(|&count| count > 0),
        "{CLIENTS} clients reach every partition: {by_partition:?}"
    );
    assert_eq!(stats.levels.len(), 3);
    // The levels are labelled by the `QoS` variants' names.
    let level_names = ["AtMostOnce", "AtLeastOnce", "ExactlyOnce"];
    for (level, expected) in by_level.iter().enumerate() {
        let at = [("queue", "mqtt_publish"), ("priority", level_names[level])];
        assert_eq!(
            value(&samples, &names::per_priority(names::ENQUEUED), &at),
            *expected as f64,
            "{at:?}"
        );
        assert_scope(&samples, names::per_priority, &at, &stats.levels[level]);
    }
    assert!(body.contains(&format!(
        "{}{{queue=\"mqtt_publish\",partition=\"0\"}} ",
        names::per_partition(names::ENQUEUED)
    )));
    assert!(body.contains(&format!(
        "{}{{queue=\"mqtt_publish\",priority=\"AtLeastOnce\"}} ",
        names::per_priority(names::DEPTH)
    )));
    // No queue-wide series carries a partition or a level: they would be counted twice.
    for (name, labels) in samples.keys() {
        if name.starts_with("elasticq_partition_") || name.starts_with("elasticq_priority_") {
            continue;
        }
        assert!(
            labels
                .iter()
                .all(|(key, _)| key != "partition" && key != "priority"),
            "{name} {labels:?}"
        );
    }

    // The operation histogram: one op in SAMPLE_EVERY per thread. Each producer thread pushed
    // PER_PRODUCER; the tail's thread pushed TAIL, then popped TAIL - RETAINED (its pops are
    // its ops TAIL+1..); the processor's batch pops are not timed.
    let every = u64::from(SAMPLE_EVERY);
    let pushes_timed = PRODUCERS * (PER_PRODUCER / every) + TAIL / every;
    let pops_timed = (2 * TAIL - RETAINED) / every - TAIL / every;
    let push = [("queue", "mqtt_publish"), ("op", "push")];
    let pop = [("queue", "mqtt_publish"), ("op", "pop")];
    let count = format!("{}_count", names::OPERATION_DURATION);
    let sum = format!("{}_sum", names::OPERATION_DURATION);
    assert_eq!(value(&samples, &count, &push), pushes_timed as f64);
    assert_eq!(value(&samples, &count, &pop), pops_timed as f64);
    assert!(value(&samples, &sum, &push) > 0.0);
    for quantile in ["0", "0.5", "0.9", "0.99", "1"] {
        let at = [
            ("queue", "mqtt_publish"),
            ("op", "push"),
            ("quantile", quantile),
        ];
        assert!(
            value(&samples, names::OPERATION_DURATION, &at) > 0.0,
            "{at:?}"
        );
    }

    // Time in queue: each sampled push's message is followed to its pop unless its lane
    // already follows one, so between 1 and `pushes_timed` values, each a stay of a real
    // message (the processor took them all: none is still followed but the tail's).
    let waited = format!("{}_count", names::TIME_IN_QUEUE);
    let followed = value(&samples, &waited, &mqtt);
    assert!(
        followed >= 1.0 && followed <= pushes_timed as f64,
        "{followed} values of {pushes_timed} sampled pushes"
    );
    let waited_sum = format!("{}_sum", names::TIME_IN_QUEUE);
    assert!(value(&samples, &waited_sum, &mqtt) > 0.0);

    // The processor's series: batches and the duration of each accepted call, and exactly the
    // FLAKY_CALLS failed tries (each retried, none dead-lettered).
    let processor = &workload.publish_processor;
    assert_eq!(processor.failures, u64::from(FLAKY_CALLS));
    assert_eq!(processor.dead_lettered + processor.dropped, 0);
    assert_eq!(processor.processed, pushed - TAIL);
    assert_eq!(
        value(&samples, names::BATCHES_PROCESSED, &mqtt),
        processor.batches as f64
    );
    assert_eq!(
        value(&samples, names::PROCESSING_FAILURES, &mqtt),
        f64::from(FLAKY_CALLS)
    );
    // Each failed try was retried; none was given up on, every acknowledgement written.
    assert_eq!(processor.retries, u64::from(FLAKY_CALLS));
    assert_eq!(
        value(&samples, names::PROCESSING_RETRIES, &mqtt),
        f64::from(FLAKY_CALLS)
    );
    for name in [
        names::DEAD_LETTERED,
        names::PROCESSING_DROPPED,
        names::ACK_FAILURES,
    ] {
        assert_eq!(value(&samples, name, &mqtt), 0.0, "{name}");
    }
    let processing_count = format!("{}_count", names::PROCESSING_DURATION);
    assert_eq!(
        value(&samples, &processing_count, &mqtt),
        processor.batches as f64
    );
    assert!(
        value(
            &samples,
            names::PROCESSING_DURATION,
            &[("queue", "mqtt_publish"), ("quantile", "0.5")]
        ) >= 0.0
    );

    // The persisted outbox: its counters, its processor's, and its log's bytes and syncs.
    let outbox = [("queue", "outbox")];
    let log = workload.outbox.persist_stats();
    assert!(log.bytes_written > 0 && log.fsyncs >= 1, "{log:?}");
    assert_eq!(
        value(&samples, names::WAL_BYTES_WRITTEN, &outbox),
        log.bytes_written as f64
    );
    assert_eq!(
        value(&samples, names::WAL_FSYNCS, &outbox),
        log.fsyncs as f64
    );
    assert_eq!(
        value(&samples, names::ENQUEUED, &outbox),
        OUTBOX_EVENTS as f64
    );
    assert_eq!(
        value(&samples, names::DEQUEUED, &outbox),
        OUTBOX_EVENTS as f64
    );
    assert_eq!(value(&samples, names::DEPTH, &outbox), 0.0);
    assert_scope(&samples, same, &outbox, &workload.outbox.stats());
    // Its log's files and what is delivered but not acknowledged: nothing, once drained.
    assert!(log.disk_bytes > 0, "{log:?}");
    assert_eq!(
        value(&samples, names::WAL_DISK_BYTES, &outbox),
        log.disk_bytes as f64
    );
    assert_eq!(value(&samples, names::UNACKED, &outbox), 0.0);
    let relay = &workload.outbox_processor;
    assert_eq!(relay.processed, OUTBOX_EVENTS);
    assert_eq!(
        value(&samples, names::BATCHES_PROCESSED, &outbox),
        relay.batches as f64
    );
    assert_eq!(value(&samples, names::PROCESSING_FAILURES, &outbox), 0.0);
    assert_eq!(
        value(&samples, &processing_count, &outbox),
        relay.batches as f64
    );

    // Every series name is in the exposition for both queues.
    for name in [
        names::ENQUEUED,
        names::DEQUEUED,
        names::DROPPED,
        names::REDELIVERED,
        names::RESIZES,
        names::BATCHES_PROCESSED,
        names::PROCESSING_FAILURES,
        names::PROCESSING_RETRIES,
        names::DEAD_LETTERED,
        names::PROCESSING_DROPPED,
        names::ACK_FAILURES,
        names::DEPTH,
        names::CAPACITY,
        names::MAX_CAPACITY,
        names::BYTES,
    ] {
        for queue in ["mqtt_publish", "outbox"] {
            value(&samples, name, &[("queue", queue)]);
        }
    }
    for queue in ["mqtt_publish", "outbox"] {
        for reason in names::REASONS {
            value(
                &samples,
                names::REJECTED,
                &[("queue", queue), ("reason", reason)],
            );
        }
    }
    // The log's series belong to the persisted queue only.
    for name in [
        names::WAL_BYTES_WRITTEN,
        names::WAL_FSYNCS,
        names::WAL_DISK_BYTES,
        names::UNACKED,
    ] {
        value(&samples, name, &[("queue", "outbox")]);
        assert!(
            !body.contains(&format!("{name}{{queue=\"mqtt_publish\"}}")),
            "{name} on a queue without a log"
        );
    }
    for queue in ["mqtt_publish", "outbox"] {
        for op in ["push", "pop"] {
            value(&samples, &count, &[("queue", queue), ("op", op)]);
        }
        value(&samples, &processing_count, &[("queue", queue)]);
    }

    // HEAD answers the headers only; other paths are 404, other methods 405, garbage 400.
    let head = agent.head(&url).call().expect("HEAD /metrics");
    assert_eq!(head.status(), 200);
    let mut missing = agent
        .get(format!("http://{addr}/other"))
        .call()
        .expect("GET /other");
    assert_eq!(missing.status(), 404);
    let text = missing.body_mut().read_to_string().expect("the 404's body");
    assert!(text.contains("/metrics"), "{text:?}");
    let post = agent.post(&url).send_empty().expect("POST /metrics");
    assert_eq!(post.status(), 405);
    assert_eq!(
        post.headers()
            .get("allow")
            .and_then(|value| value.to_str().ok()),
        Some("GET, HEAD")
    );
    assert_eq!(
        raw_status_line(addr, b"hello\r\n\r\n"),
        "HTTP/1.1 400 Bad Request"
    );
    // The query string is ignored; one connection after another is served.
    let again = agent
        .get(format!("{url}?name[]=elasticq_queue_depth"))
        .call()
        .expect("GET /metrics again");
    assert_eq!(again.status(), 200);

    eprintln!(
        "workload {:.2} s, scrapes {:.2} s, exposition {} bytes in {} samples",
        worked.as_secs_f64(),
        (started.elapsed() - worked).as_secs_f64(),
        body.len(),
        samples.len()
    );
}
