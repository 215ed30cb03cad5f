//! Real SOCKS5 servers for tests, from Debian: `microsocks` (user/password
//! authentication, and a log of the destinations it connected to, as the
//! client named them) and `dante` (`danted`, for a rule set that refuses).

use std::process::Command;

use super::daemon::Daemon;

pub const USER: &str = "sam";
pub const PASSWORD: &str = "s0cks";

/// microsocks on 127.0.0.1, asking for `sam:s0cks`.
pub struct Microsocks(Daemon);

impl Microsocks {
    pub fn start() -> Microsocks {
        let (port, dir) = Daemon::prepare("microsocks");
        let mut command = Command::new("microsocks");
        command
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-u", USER, "-P", PASSWORD]);
        Microsocks(Daemon::spawn(port, dir, command))
    }

    /// `socks5://sam:s0cks@127.0.0.1:PORT`, or with another scheme / password.
    pub fn url(&self, scheme: &str, password: &str) -> String {
        format!("{scheme}://{USER}:{password}@127.0.0.1:{}", self.0.port)
    }

    /// Lines such as `client[4] 127.0.0.1: connected to localhost:8080`.
    pub fn log(&self) -> String {
        self.0.output()
    }
}

/// dante on 127.0.0.1 with a rule set that blocks every destination.
pub struct DanteBlockingAll(Daemon);

impl DanteBlockingAll {
    pub fn start() -> DanteBlockingAll {
        let (port, dir) = Daemon::prepare("dante");
        let config = format!(
            "logoutput: stderr\ninternal: 127.0.0.1 port = {port}\nexternal: 127.0.0.1\n\
             socksmethod: none\nclientmethod: none\nuser.privileged: root\nuser.unprivileged: root\n\
             client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
             socks block {{ from: 0.0.0.0/0 to: 0.0.0.0/0 log: error }}\n"
        );
        std::fs::write(dir.join("danted.conf"), config).expect("dante's configuration");
        let mut command = Command::new("danted");
        command.arg("-f").arg(dir.join("danted.conf")).args(["-N", "1"]);
        DanteBlockingAll(Daemon::spawn(port, dir, command))
    }

    pub fn url(&self) -> String {
        format!("socks5h://127.0.0.1:{}", self.0.port)
    }
}
