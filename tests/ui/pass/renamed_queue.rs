//! `name = X` names the generated queue (and its builder `XBuilder`); the default name is
//! then free for the user.

use elasticq::{ElasticQueue, Message};

#[derive(ElasticQueue, Debug, PartialEq)]
#[elastic_queue(name = AuditLog)]
struct Audit {
    entry: u32,
}

/// The default name is not generated, so the user may define it.
struct AuditQueue;

fn main() {
    let log = AuditLog::new().unwrap();
    log.push(Audit { entry: 1 }).unwrap();
    assert_eq!(log.pop(), Some(Audit { entry: 1 }));

    let built: AuditLog = AuditLogBuilder::build(AuditLog::builder()).unwrap();
    assert!(built.is_empty());
    assert!(format!("{built:?}").starts_with("AuditLog {"));
    assert!(std::any::type_name::<<Audit as Message>::Queue>().ends_with("AuditLog"));
    let _ = AuditQueue;
}
