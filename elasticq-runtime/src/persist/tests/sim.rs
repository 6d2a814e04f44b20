//! `SimFs`: a file system in memory that models what a crash keeps.
//!
//! Every file has the bytes a crash is sure to keep (`durable`: what the last `sync_data`
//! saw) and the writes made since (`pending`). The directory likewise has the entries the
//! last `sync_dir` saw and the operations since (create, rename, remove). A crash keeps the
//! durable state plus an arbitrary choice among what is pending, picked by
//! [`Survival`]: nothing, everything, or each pending write whole, lost or torn at
//! 512-byte sectors, and each pending directory operation kept or lost independently (so a
//! later removal can survive an earlier one that is lost).
//!
//! Operations are counted. [`SimFs::crash_at`] makes operation `n` and every one after it
//! fail as if the process had died there (nothing of them reaches the disk);
//! [`SimFs::fail_at`] makes one kind of operation fail once, with a given error, the
//! process living on.

use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::persist::fs::{FileSystem, LogFile, Open};

/// Sector size of the simulated disk: unsynced writes tear at these boundaries.
const SECTOR: usize = 512;

/// The kinds of operation, for fault injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Create,
    Write,
    SyncData,
    SetLen,
    Rename,
    Remove,
    SyncDir,
    Read,
}

pub(crate) const OPS: [Op; 8] = [
    Op::Create,
    Op::Write,
    Op::SyncData,
    Op::SetLen,
    Op::Rename,
    Op::Remove,
    Op::SyncDir,
    Op::Read,
];

/// What a crash keeps of what was not synced.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Survival {
    Nothing,
    Everything,
    /// Chosen by a generator seeded with this.
    Random(u64),
}

#[derive(Clone, Default)]
struct Inode {
    durable: Vec<u8>,
    cached: Vec<u8>,
    /// Writes since the last sync, in order: (offset, bytes); a `set_len` is a write of no
    /// bytes at the new length, marked by `None`.
    pending: Vec<(u64, Option<Vec<u8>>)>,
}

#[derive(Clone)]
enum DirOp {
    Link(PathBuf, usize),
    Unlink(PathBuf),
}

#[derive(Default)]
struct Disk {
    inodes: Vec<Inode>,
    /// The entries as the running process sees them.
    entries: BTreeMap<PathBuf, usize>,
    /// The entries as of the last directory sync.
    durable_entries: BTreeMap<PathBuf, usize>,
    pending_dir: Vec<DirOp>,
    dirs: HashSet<PathBuf>,
    locks: HashSet<PathBuf>,
    ops: u64,
    crash_at: Option<u64>,
    crashed: bool,
    fault: Option<(Op, io::ErrorKind, u64)>,
    faulted: bool,
}

#[derive(Clone, Default)]
pub(crate) struct SimFs {
    disk: Arc<Mutex<Disk>>,
    gate: Arc<Gate>,
}

/// Holds `sync_data` calls (outside the disk's lock) while closed: a sync that takes as
/// long as the test wants, to see who waits for it.
#[derive(Default)]
struct Gate {
    closed: Mutex<bool>,
    opened: parking_lot::Condvar,
    waiting: std::sync::atomic::AtomicUsize,
}

impl Gate {
    fn pass(&self) {
        let mut closed = self.closed.lock();
        if *closed {
            self.waiting
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            while *closed {
                self.opened.wait(&mut closed);
            }
            self.waiting
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

fn crashed() -> io::Error {
    io::Error::other("simulated crash: the process is gone")
}

impl Disk {
    /// Counts an operation of `kind`; fails it if the process has crashed (at or before
    /// it) or a fault is due.
    fn begin(&mut self, kind: Op) -> io::Result<()> {
        if self.crashed {
            return Err(crashed());
        }
        if kind != Op::Read {
            if self.crash_at == Some(self.ops) {
                self.crashed = true;
                return Err(crashed());
            }
            self.ops += 1;
        }
        if let Some((fault, error, nth)) = self.fault {
            if fault == kind {
                if nth == 0 {
                    self.fault = None;
                    self.faulted = true;
                    return Err(io::Error::from(error));
                }
                self.fault = Some((fault, error, nth - 1));
            }
        }
        Ok(())
    }

    fn link(&mut self, path: &Path, inode: usize) {
        self.entries.insert(path.to_path_buf(), inode);
        self.pending_dir
            .push(DirOp::Link(path.to_path_buf(), inode));
    }

    fn unlink(&mut self, path: &Path) {
        self.entries.remove(path);
        self.pending_dir.push(DirOp::Unlink(path.to_path_buf()));
    }
}

impl SimFs {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Operation `n` (counting from 0) and all after it fail: the process died there.
    pub(crate) fn crash_at(&self, n: u64) {
        self.disk.lock().crash_at = Some(n);
    }

    /// The `nth` (from 0) later operation of `kind` fails with `error`, once.
    pub(crate) fn fail_at(&self, kind: Op, error: io::ErrorKind, nth: u64) {
        self.disk.lock().fault = Some((kind, error, nth));
    }

    /// Makes every `sync_data` from now on wait until [`open_syncs`](Self::open_syncs).
    pub(crate) fn hold_syncs(&self) {
        *self.gate.closed.lock() = true;
    }

    pub(crate) fn open_syncs(&self) {
        *self.gate.closed.lock() = false;
        self.gate.opened.notify_all();
    }

    /// How many `sync_data` calls are waiting at the gate.
    pub(crate) fn syncs_held(&self) -> usize {
        self.gate.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn crashed(&self) -> bool {
        self.disk.lock().crashed
    }

    /// Whether the fault set by `fail_at` happened.
    pub(crate) fn faulted(&self) -> bool {
        self.disk.lock().faulted
    }

    /// Operations counted so far (reads excluded).
    pub(crate) fn ops(&self) -> u64 {
        self.disk.lock().ops
    }

    /// The disk as a crash now leaves it: a new file system with no process on it.
    pub(crate) fn after_crash(&self, survival: Survival) -> SimFs {
        let disk = self.disk.lock();
        let mut rng = match survival {
            Survival::Random(seed) => seed | 1,
            _ => 1,
        };
        let mut keep = |odds: u64| -> bool {
            match survival {
                Survival::Nothing => false,
                Survival::Everything => true,
                Survival::Random(_) => {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng % odds != 0
                }
            }
        };
        let mut entries = disk.durable_entries.clone();
        for op in &disk.pending_dir {
            if !keep(2) {
                continue;
            }
            match op {
                DirOp::Link(path, inode) => {
                    entries.insert(path.clone(), *inode);
                }
                DirOp::Unlink(path) => {
                    entries.remove(path);
                }
            }
        }
        let inodes = disk
            .inodes
            .iter()
            .map(|inode| {
                let mut bytes = inode.durable.clone();
                for (offset, write) in &inode.pending {
                    let offset = *offset as usize;
                    match write {
                        None => {
                            if keep(2) {
                                bytes.resize(offset, 0);
                            }
                        }
                        Some(data) => {
                            // Sector by sector: kept whole most often, torn sometimes.
                            let whole = keep(3);
                            for (i, sector) in data.chunks(SECTOR).enumerate() {
                                if whole || keep(2) {
                                    let at = offset + i * SECTOR;
                                    if bytes.len() < at + sector.len() {
                                        bytes.resize(at + sector.len(), 0);
                                    }
                                    bytes[at..at + sector.len()].copy_from_slice(sector);
                                }
                            }
                        }
                    }
                }
                Inode {
                    durable: bytes.clone(),
                    cached: bytes,
                    pending: Vec::new(),
                }
            })
            .collect();
        SimFs {
            disk: Arc::new(Mutex::new(Disk {
                inodes,
                durable_entries: entries.clone(),
                entries,
                dirs: disk.dirs.clone(),
                ..Disk::default()
            })),
            gate: Arc::default(),
        }
    }

    /// The disk as a killed process leaves it, the machine still running: the page cache
    /// keeps every write, synced or not (a power loss later can still lose what no sync
    /// made durable); locks die with the process.
    pub(crate) fn restart(&self) -> SimFs {
        let disk = self.disk.lock();
        SimFs {
            disk: Arc::new(Mutex::new(Disk {
                inodes: disk.inodes.clone(),
                entries: disk.entries.clone(),
                durable_entries: disk.durable_entries.clone(),
                pending_dir: disk.pending_dir.clone(),
                dirs: disk.dirs.clone(),
                ..Disk::default()
            })),
            gate: Arc::default(),
        }
    }

    /// The names in `dir` and their current contents (for messages of failed checks).
    pub(crate) fn listing(&self) -> Vec<(PathBuf, usize)> {
        let disk = self.disk.lock();
        disk.entries
            .iter()
            .map(|(path, &inode)| (path.clone(), disk.inodes[inode].cached.len()))
            .collect()
    }
}

struct SimFile {
    disk: Arc<Mutex<Disk>>,
    gate: Arc<Gate>,
    inode: usize,
}

impl LogFile for SimFile {
    fn len(&self) -> io::Result<u64> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Read)?;
        Ok(disk.inodes[self.inode].cached.len() as u64)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Read)?;
        let bytes = &disk.inodes[self.inode].cached;
        let start = (offset as usize).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Write)?;
        let inode = &mut disk.inodes[self.inode];
        let at = offset as usize;
        if inode.cached.len() < at + buf.len() {
            inode.cached.resize(at + buf.len(), 0);
        }
        inode.cached[at..at + buf.len()].copy_from_slice(buf);
        inode.pending.push((offset, Some(buf.to_vec())));
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        self.gate.pass();
        let mut disk = self.disk.lock();
        disk.begin(Op::SyncData)?;
        let inode = &mut disk.inodes[self.inode];
        inode.durable = inode.cached.clone();
        inode.pending.clear();
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut disk = self.disk.lock();
        disk.begin(Op::SetLen)?;
        let inode = &mut disk.inodes[self.inode];
        inode.cached.resize(len as usize, 0);
        inode.pending.push((len, None));
        Ok(())
    }
}

struct SimLock {
    disk: Arc<Mutex<Disk>>,
    path: PathBuf,
}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.disk.lock().locks.remove(&self.path);
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} not found", path.display()),
    )
}

impl FileSystem for SimFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Create)?;
        disk.dirs.insert(dir.to_path_buf());
        Ok(())
    }

    fn open(&self, path: &Path, how: Open) -> io::Result<Arc<dyn LogFile>> {
        let mut disk = self.disk.lock();
        let inode = match how {
            Open::Read | Open::ReadWrite => {
                disk.begin(Op::Read)?;
                *disk.entries.get(path).ok_or_else(|| not_found(path))?
            }
            Open::Create => {
                disk.begin(Op::Create)?;
                match disk.entries.get(path).copied() {
                    Some(existing) => {
                        let inode = &mut disk.inodes[existing];
                        inode.cached.clear();
                        inode.pending.push((0, None));
                        existing
                    }
                    None => {
                        disk.inodes.push(Inode::default());
                        let inode = disk.inodes.len() - 1;
                        disk.link(path, inode);
                        inode
                    }
                }
            }
        };
        Ok(Arc::new(SimFile {
            disk: Arc::clone(&self.disk),
            gate: Arc::clone(&self.gate),
            inode,
        }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Read)?;
        Ok(disk
            .entries
            .keys()
            .filter(|path| path.parent() == Some(dir))
            .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
            .collect())
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Read)?;
        Ok(disk.entries.contains_key(path))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Rename)?;
        let inode = *disk.entries.get(from).ok_or_else(|| not_found(from))?;
        disk.unlink(from);
        disk.link(to, inode);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Remove)?;
        if !disk.entries.contains_key(path) {
            return Err(not_found(path));
        }
        disk.unlink(path);
        Ok(())
    }

    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        let mut disk = self.disk.lock();
        disk.begin(Op::SyncDir)?;
        disk.durable_entries = disk.entries.clone();
        disk.pending_dir.clear();
        Ok(())
    }

    fn try_lock(&self, path: &Path) -> io::Result<Option<Box<dyn Any + Send + Sync>>> {
        let mut disk = self.disk.lock();
        disk.begin(Op::Read)?;
        if !disk.locks.insert(path.to_path_buf()) {
            return Ok(None);
        }
        Ok(Some(Box::new(SimLock {
            disk: Arc::clone(&self.disk),
            path: path.to_path_buf(),
        })))
    }
}
