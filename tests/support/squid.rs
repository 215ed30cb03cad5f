//! Squid from Debian as an HTTP proxy that asks for Basic credentials and
//! answers 407 as RFC 9110 says (tinyproxy answers 401).

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use super::daemon::Daemon;

pub const USER: &str = "ann";
pub const PASSWORD: &str = "s3cret";

pub struct Squid(Daemon);

impl Squid {
    pub fn start() -> Squid {
        let (port, dir) = Daemon::prepare("squid");
        // Squid's workers run as the `proxy` user.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let hash = Command::new("openssl")
            .args(["passwd", "-apr1", PASSWORD])
            .output()
            .expect("openssl passwd");
        let passwd = format!("{USER}:{}", String::from_utf8_lossy(&hash.stdout).trim());
        std::fs::write(dir.join("passwd"), passwd).expect("the password file");
        let config = format!(
            "http_port 127.0.0.1:{port}\n\
             auth_param basic program /usr/lib/squid/basic_ncsa_auth {dir}/passwd\n\
             acl authed proxy_auth REQUIRED\nhttp_access allow authed\nhttp_access deny all\n\
             cache deny all\ncache_mem 8 MB\naccess_log stdio:{dir}/access.log\ncache_log {dir}/cache.log\n\
             pid_filename {dir}/squid.pid\ncoredump_dir {dir}\nshutdown_lifetime 0 seconds\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("squid.conf"), config).expect("squid's configuration");
        let mut command = Command::new("squid");
        command
            .arg("-N")
            .arg("-f")
            .arg(dir.join("squid.conf"))
            .current_dir(&dir);
        Squid(Daemon::spawn(port, dir, command))
    }

    /// `http://ann:PASSWORD@127.0.0.1:PORT` with the given password.
    pub fn url(&self, password: &str) -> String {
        format!("http://{USER}:{password}@127.0.0.1:{}", self.0.port)
    }
}
