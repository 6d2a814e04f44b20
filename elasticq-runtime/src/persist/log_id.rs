//! The log directory's id: 128 random bits, written once into the file `ID` the first time
//! something asks for it, and read back ever after.
//!
//! A message's sequence number is unique within its partition's log, for as long as the
//! directory lives; the id makes it unique everywhere. The outbox bridge names each message
//! it publishes `{id}.{partition}.{seq}`, so that a publish repeated after a crash is
//! recognised by JetStream as the one it repeats, and a directory wiped and created again
//! (whose sequence numbers start over) never has a new message taken for an old one.
//!
//! `ID` holds the text `elasticq-log-id 1` and the id in 32 lower-case hex digits, one a
//! line. It is written as `ID.tmp`, synced, renamed and the directory synced, so a crash
//! leaves either no `ID` (and the next call writes one) or the whole file. An `ID` that
//! does not parse is an error naming it, never replaced: replacing it would rename every
//! message still owed.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use super::fs::{self, FileSystem, Open};
use super::segment;
use super::PersistError;

const ID: &str = "ID";
const ID_TEMPORARY: &str = "ID.tmp";
const HEADER: &str = "elasticq-log-id 1";

/// The id of the log in `dir`, created if it has none.
pub(super) fn read_or_create(fs: &dyn FileSystem, dir: &Path) -> Result<String, PersistError> {
    let path = dir.join(ID);
    match fs.open(&path, Open::Read) {
        Ok(file) => {
            let len = file
                .len()
                .map_err(|e| PersistError::io(&path, "read", &e))?
                .min(256) as usize;
            let mut bytes = vec![0; len];
            fs::read_exact_at(&*file, &mut bytes, 0)
                .map_err(|e| PersistError::io(&path, "read", &e))?;
            parse(&bytes).ok_or_else(|| PersistError::Header {
                path,
                offset: 0,
                detail: "not an elasticq log id".into(),
            })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let id = random_id();
            let temporary = dir.join(ID_TEMPORARY);
            let text = format!("{HEADER}\n{id}\n");
            fs.open(&temporary, Open::Create)
                .and_then(|file| {
                    file.write_all_at(text.as_bytes(), 0)?;
                    file.sync_data()
                })
                .map_err(|e| PersistError::io(&temporary, "write", &e))?;
            fs.rename(&temporary, &path)
                .map_err(|e| PersistError::io(&path, "rename", &e))?;
            segment::sync_dir(fs, dir)?;
            Ok(id)
        }
        Err(error) => Err(PersistError::io(&path, "read", &error)),
    }
}

fn parse(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    (lines.next()? == HEADER).then_some(())?;
    let id = lines.next()?;
    let hex = id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && lines.next().is_none()).then(|| id.to_owned())
}

/// 128 bits from the standard library's per-process random hash keys, mixed with the
/// process id and the time: two directories share an id with a chance of one in 2^128.
fn random_id() -> String {
    let half = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u32(std::process::id());
        if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            hasher.write_u128(since.as_nanos());
        }
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(0), half(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_strictly_and_differ() {
        let id = random_id();
        assert_ne!(id, random_id());
        assert_eq!(
            parse(format!("{HEADER}\n{id}\n").as_bytes()),
            Some(id.clone())
        );
        for bad in [
            String::new(),
            format!("{HEADER}\n"),
            format!("elasticq-log-id 2\n{id}\n"),
            format!("{HEADER}\n0123456789ABCDEF0123456789abcdef\n"),
            format!("{HEADER}\n{}\n", &id[1..]),
            format!("{HEADER}\n{id}\nmore\n"),
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
