//! A real forward proxy for tests: Debian's `tinyproxy`, started on a free
//! port of 127.0.0.1 with Basic auth, its log kept so tests can see which
//! requests went through it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "ann";
pub const PASSWORD: &str = "s3cret";

pub struct Tinyproxy {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Tinyproxy {
    /// Starts tinyproxy (installed by scripts/test.sh) and waits until it listens.
    pub fn start() -> Tinyproxy {
        let port = super::closed_port();
        let dir = std::env::temp_dir().join(format!("unifetch-tinyproxy-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for tinyproxy");
        let config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Info\nMaxClients 100\n\
             Allow 127.0.0.1\nBasicAuth {USER} {PASSWORD}\nDisableViaHeader Yes\n",
            dir.join("log").display()
        );
        std::fs::write(dir.join("conf"), config).expect("tinyproxy's configuration");
        let child = Command::new("tinyproxy")
            .args(["-d", "-c"])
            .arg(dir.join("conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy runs (apt-get install tinyproxy; scripts/test.sh does it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "tinyproxy did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Tinyproxy { port, dir, child }
    }

    /// `http://ann:s3cret@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// What tinyproxy logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
