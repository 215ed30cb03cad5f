//! The `unifetch` binary against a real TLS server, OpenSSL's `s_server`,
//! with certificates made by `openssl req -x509` as users make them
//! (self-signed, marked as a CA): trusted with `--cacert` or through
//! `SSL_CERT_FILE`, and mutual TLS with `--cert`/`--key`.

// Shared with the library's tests, where it is `pub` for the other modules.
#[allow(unreachable_pub)]
#[path = "../../tests/support/openssl.rs"]
mod openssl;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use openssl::Scratch;

/// `openssl s_server -www` on a free port of 127.0.0.1, killed when dropped.
struct SServer {
    child: Child,
    port: u16,
    /// One server at a time in this file. A free port is found by binding
    /// port 0 and closing it, and the kernel may hand the same port out
    /// again at once: two tests starting together then both chose it, the
    /// second `s_server` failed to bind while the first one answered its
    /// probe, and the second test met a closed port once the first one
    /// ended (seen in CI as "Connection refused" midway through a test).
    _alone: MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

impl SServer {
    fn start(cert: &Path, key: &Path, extra: &[&str]) -> SServer {
        let alone = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-www", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let mut server = SServer {
            child,
            port,
            _alone: alone,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("openssl s_server on port {port} ended before it listened: {status}");
            }
            assert!(Instant::now() < deadline, "openssl s_server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `unifetch ARGS` with `env` added.
fn unifetch(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unifetch"));
    command
        .args(args)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn answered(output: &Output) -> bool {
    output.status.success() && String::from_utf8_lossy(&output.stdout).contains("s_server")
}

fn tls_failure(output: &Output) -> bool {
    !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("tls")
}

#[test]
fn a_self_signed_certificate_is_trusted_with_cacert_or_ssl_cert_file() {
    let scratch = Scratch::new("tls-cacert");
    let (cert, key) = scratch.self_signed("server", "IP:127.0.0.1");
    let server = SServer::start(&cert, &key, &[]);
    let url = server.url();
    let cacert = cert.to_str().unwrap();

    let refused = unifetch(&["get", &url], &[]);
    assert!(tls_failure(&refused), "{refused:?}");
    let with_cacert = unifetch(&["get", &url, "--cacert", cacert], &[]);
    assert!(answered(&with_cacert), "{with_cacert:?}");
    // The operating system's store, as OpenSSL and curl read it.
    let with_env = unifetch(&["get", &url], &[("SSL_CERT_FILE", &cert)]);
    assert!(answered(&with_env), "{with_env:?}");
    // Trusted for its own name only.
    let other_name = unifetch(
        &["get", &url.replace("127.0.0.1", "localhost"), "--cacert", cacert],
        &[],
    );
    assert!(tls_failure(&other_name), "{other_name:?}");
    // httpie's --verify: a bundle trusted alone, or no checks at all.
    let verify_file = format!("--verify={cacert}");
    let with_bundle = unifetch(&["get", &url, &verify_file], &[]);
    assert!(answered(&with_bundle), "{with_bundle:?}");
    for skip in ["--verify=no", "--verify=false", "--insecure"] {
        let unchecked = unifetch(&["get", &url, skip], &[]);
        assert!(answered(&unchecked), "{skip}: {unchecked:?}");
        assert!(
            String::from_utf8_lossy(&unchecked.stderr).contains("not checked"),
            "{skip} says so: {unchecked:?}"
        );
    }
}

#[test]
fn a_client_certificate_is_presented_with_cert_and_key() {
    let scratch = Scratch::new("tls-mtls");
    let (cert, key) = scratch.self_signed("server", "IP:127.0.0.1");
    let (client_cert, client_key) = scratch.self_signed("client", "DNS:client.test");
    let client_ca = client_cert.to_str().unwrap();
    let server = SServer::start(&cert, &key, &["-Verify", "1", "-CAfile", client_ca]);
    let url = server.url();
    let cacert = cert.to_str().unwrap();

    let without = unifetch(&["get", &url, "--cacert", cacert], &[]);
    assert!(!without.status.success(), "{without:?}");
    let with = unifetch(
        &[
            "get",
            &url,
            "--cacert",
            cacert,
            "--cert",
            client_ca,
            "--key",
            client_key.to_str().unwrap(),
        ],
        &[],
    );
    assert!(answered(&with), "{with:?}");
}
