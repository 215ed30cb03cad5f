//! A real forward proxy for tests: Debian's `tinyproxy`, started on a free
//! port of 127.0.0.1 with Basic auth, its log kept so tests can see which
//! requests went through it.

use std::process::Command;

use super::daemon::Daemon;

pub const USER: &str = "ann";
pub const PASSWORD: &str = "s3cret";

pub struct Tinyproxy {
    pub port: u16,
    daemon: Daemon,
}

impl Tinyproxy {
    /// Starts tinyproxy (installed by scripts/test.sh) and waits until it listens.
    pub fn start() -> Tinyproxy {
        let (port, dir) = Daemon::prepare("tinyproxy");
        let config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Info\nMaxClients 100\n\
             Allow 127.0.0.1\nBasicAuth {USER} {PASSWORD}\nDisableViaHeader Yes\n",
            dir.join("log").display()
        );
        std::fs::write(dir.join("conf"), config).expect("tinyproxy's configuration");
        let mut command = Command::new("tinyproxy");
        command.args(["-d", "-c"]).arg(dir.join("conf"));
        Tinyproxy {
            port,
            daemon: Daemon::spawn(port, dir, command),
        }
    }

    /// `http://ann:s3cret@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// What tinyproxy logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.daemon.dir.join("log")).unwrap_or_default()
    }
}
