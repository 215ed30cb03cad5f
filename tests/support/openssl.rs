//! Certificates made by `openssl req -x509`, as users make them:
//! self-signed, valid for a day, and marked as a CA (OpenSSL's default).
//! Shared by the library's tests and the CLI's (`native/tests/tls.rs`).

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A directory for a test's files, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new directory; `name` keeps tests that run at once apart.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("unifetch-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    /// `openssl req -x509` for `subject_alt_name` (`IP:127.0.0.1`,
    /// `DNS:client.test`…): the paths of `NAME.pem` and `NAME.key`.
    pub fn self_signed(&self, name: &str, subject_alt_name: &str) -> (PathBuf, PathBuf) {
        let (cert, key) = (self.0.join(format!("{name}.pem")), self.0.join(format!("{name}.key")));
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ])
            .args(["-days", "1", "-subj", &format!("/CN={name}"), "-addext"])
            .arg(format!("subjectAltName={subject_alt_name}"))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl (Debian's openssl package) on PATH");
        assert!(status.success(), "openssl req -x509 failed");
        (cert, key)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
