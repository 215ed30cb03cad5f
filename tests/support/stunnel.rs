//! A real HTTPS proxy for tests: Debian's `stunnel` terminating TLS (with
//! a certificate of the test CA, for 127.0.0.1 and localhost) in front of
//! tinyproxy.

use std::process::Command;

use super::daemon::Daemon;
use super::tinyproxy::{Tinyproxy, PASSWORD, USER};
use super::tls::Pki;

pub struct HttpsProxy {
    pub tinyproxy: Tinyproxy,
    stunnel: Daemon,
}

impl HttpsProxy {
    /// stunnel with `pki`'s server certificate, forwarding to a new tinyproxy.
    pub fn start(pki: &Pki) -> HttpsProxy {
        let tinyproxy = Tinyproxy::start();
        let (port, dir) = Daemon::prepare("stunnel");
        std::fs::write(dir.join("cert.pem"), &pki.server_chain_pem).expect("certificate");
        std::fs::write(dir.join("key.pem"), &pki.server_key_pem).expect("key");
        let config = format!(
            "foreground = yes\npid =\n[proxy]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{}\n\
             cert = {}\nkey = {}\n",
            tinyproxy.port,
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        );
        std::fs::write(dir.join("stunnel.conf"), config).expect("stunnel's configuration");
        let mut command = Command::new("stunnel");
        command.arg(dir.join("stunnel.conf"));
        HttpsProxy {
            tinyproxy,
            stunnel: Daemon::spawn(port, dir, command),
        }
    }

    /// `https://ann:s3cret@localhost:PORT`.
    pub fn url(&self) -> String {
        format!("https://{USER}:{PASSWORD}@localhost:{}", self.stunnel.port)
    }
}
