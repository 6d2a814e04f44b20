//! The names a JetStream queue declares: its stream and the subject its subjects start with.
//! Not behind the `jetstream` feature: the derive checks a declaration with these rules, so
//! it refuses at compile time exactly what the runtime would refuse at `connect`.

/// Whether `name` can name a stream: letters, digits, `-` and `_`, at most 32 characters,
/// so that a consumer's durable name built from it stays within the server's limits.
///
/// ```
/// use elasticq_runtime::__private::check_stream_name;
///
/// assert!(check_stream_name("ORDERS-eu_1").is_ok());
/// assert!(check_stream_name("orders.eu").is_err());
/// ```
pub fn check_stream_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 32 {
        return Err(format!(
            "a stream name has 1 to 32 characters; {name:?} has {}",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some(c) => Err(format!(
            "{c:?} cannot be in a stream name: use letters, digits, `-` and `_`"
        )),
        None => Ok(()),
    }
}

/// Whether `subject` can prefix a queue's subjects: dot-separated tokens of letters,
/// digits, `-` and `_`, with no wildcard (`*`, `>`), space or empty token.
///
/// ```
/// use elasticq_runtime::__private::check_subject;
///
/// assert!(check_subject("telemetry.eu-west").is_ok());
/// assert!(check_subject("telemetry.>").is_err());
/// assert!(check_subject("telemetry..eu").is_err());
/// ```
pub fn check_subject(subject: &str) -> Result<(), String> {
    if subject.is_empty() || subject.len() > 200 {
        return Err("a subject has 1 to 200 characters".into());
    }
    for token in subject.split('.') {
        if token.is_empty() {
            return Err(format!(
                "{subject:?} has an empty token: write tokens between single dots"
            ));
        }
        if let Some(c) = token
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "{c:?} cannot be in a subject: use letters, digits, `-`, `_` and `.` between \
                 tokens (the queue adds `.<partition>.<level>`)"
            ));
        }
    }
    Ok(())
}
