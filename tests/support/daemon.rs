//! A real third-party server for tests (tinyproxy, microsocks, dante,
//! stunnel…): started on a free port of 127.0.0.1 with its files in a
//! scratch directory, its output kept, killed and cleaned up when dropped.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct Daemon {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl Daemon {
    /// A free port and a scratch directory for `name`'s configuration.
    pub fn prepare(name: &str) -> (u16, PathBuf) {
        let port = super::closed_port();
        let dir = std::env::temp_dir().join(format!("unifetch-{name}-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        (port, dir)
    }

    /// Runs `command` (stdout and stderr to `dir/output`) and waits until
    /// it listens on `port`.
    pub fn spawn(port: u16, dir: PathBuf, mut command: Command) -> Daemon {
        let output = File::create(dir.join("output")).expect("an output file");
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdout(output.try_clone().expect("output"))
            .stderr(output)
            .spawn()
            .unwrap_or_else(|e| panic!("{program} runs (scripts/test.sh installs it): {e}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{program} did not start listening:\n{}",
                std::fs::read_to_string(dir.join("output")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon { port, dir, child }
    }

    /// What the program wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join("output")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
