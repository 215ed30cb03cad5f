//! `unifetch get|post|… URL items…`: one request, printed like httpie.

use std::io::{BufReader, Write};
use std::process::ExitCode;
use std::sync::Arc;

use unifetch::redirect::Redirect;
use unifetch::{CookieJar, Method, Proxy, Response, Retry, Session, SessionBuilder, Timeout};

use super::items::Items;
use super::{RequestArgs, EXIT_CLIENT_ERROR, EXIT_INVALID, EXIT_SERVER_ERROR, EXIT_TRANSPORT};

pub(crate) async fn run(method: Method, args: RequestArgs) -> ExitCode {
    let items = match Items::parse(&args.items) {
        Ok(items) => items,
        Err(message) => {
            eprintln!("unifetch: {message}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let jar = match load_jar(&args) {
        Ok(jar) => jar,
        Err(failure) => return failure.report(),
    };
    let session = match session(&args, jar.clone()) {
        Ok(session) => session,
        Err(failure) => return failure.report(),
    };
    let code = match send(&session, method, &args, &items).await {
        Ok(response) => print_response(response, args.verbose).await,
        Err(error) => Failure::from(error).report(),
    };
    if let (Some(jar), Some(path)) = (jar, &args.cookie_jar) {
        if let Err(failure) = save_jar(&jar, path) {
            return failure.report();
        }
    }
    code
}

/// What went wrong: the command line, or the request.
enum Failure {
    Invalid(String),
    Request(unifetch::Error),
}

impl From<unifetch::Error> for Failure {
    fn from(error: unifetch::Error) -> Failure {
        Failure::Request(error)
    }
}

impl Failure {
    /// Prints the failure and its causes; the exit code says which kind.
    fn report(self) -> ExitCode {
        let error = match self {
            Failure::Invalid(message) => {
                eprintln!("unifetch: {message}");
                return ExitCode::from(EXIT_INVALID);
            }
            Failure::Request(error) => error,
        };
        eprintln!("unifetch: {error:#}");
        if error.is_builder() {
            ExitCode::from(EXIT_INVALID)
        } else {
            ExitCode::from(EXIT_TRANSPORT)
        }
    }
}

/// The session the flags describe.
fn session(args: &RequestArgs, jar: Option<Arc<CookieJar>>) -> Result<Session, Failure> {
    let mut builder: SessionBuilder = Session::builder()
        .retry(retry_policy(args))
        .redirect(redirect_policy(args))
        .decompress(!args.no_decompress)
        .trust_env(args.trust_env)
        .danger_accept_invalid_certs(args.insecure);
    if let Some(total) = args.timeout {
        builder = builder.timeout(Timeout {
            total: Some(total),
            ..Timeout::default()
        });
    }
    if let Some(proxy) = &args.proxy {
        builder = builder.proxy(Proxy::all(proxy)?);
    }
    if let Some(path) = &args.cacert {
        builder = builder.tls_root_certificates(read(path)?);
    }
    if let Some(cert) = &args.cert {
        let key = read(args.key.as_ref().unwrap_or(cert))?;
        builder = builder.tls_client_identity(read(cert)?, key);
    }
    if args.insecure {
        eprintln!("unifetch: warning: --insecure: TLS certificates and names are not checked");
    }
    if let Some(bytes) = args.max_body {
        builder = builder.max_body_size(bytes);
    }
    if let Some(jar) = jar {
        builder = builder.cookie_jar(jar);
    }
    Ok(builder.build()?)
}

/// A file the options name.
fn read(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Invalid(format!("cannot read {}: {e}", path.display())))
}

/// `--retry N`: N retries; none by default, as curl.
fn retry_policy(args: &RequestArgs) -> Retry {
    let policy = Retry::default().max_attempts(args.retry + 1);
    if args.verbose {
        policy.on_retry(|event| {
            eprintln!(
                "! attempt {} failed ({}); retrying in {:.1} s",
                event.attempt(),
                event.reason(),
                event.delay().as_secs_f64()
            );
        })
    } else {
        policy
    }
}

fn redirect_policy(args: &RequestArgs) -> Redirect {
    let max = args.max_redirects;
    if max == 0 {
        return Redirect::none();
    }
    let verbose = args.verbose;
    Redirect::custom(move |attempt| {
        if attempt.previous().len() > max {
            return attempt.error(format!("more than {max} redirects"));
        }
        if verbose {
            eprintln!("< {} → {}", attempt.status(), attempt.url());
        }
        attempt.follow()
    })
}

fn load_jar(args: &RequestArgs) -> Result<Option<Arc<CookieJar>>, Failure> {
    let Some(path) = &args.cookie_jar else {
        return Ok(None);
    };
    let jar = match std::fs::File::open(path) {
        Ok(file) => CookieJar::load_json(BufReader::new(file))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => CookieJar::new(),
        Err(e) => return Err(Failure::Invalid(format!("cannot read {}: {e}", path.display()))),
    };
    Ok(Some(Arc::new(jar)))
}

fn save_jar(jar: &CookieJar, path: &std::path::Path) -> Result<(), Failure> {
    let mut file =
        std::fs::File::create(path).map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", path.display())))?;
    Ok(jar.save_json(&mut file)?)
}

async fn send(session: &Session, method: Method, args: &RequestArgs, items: &Items) -> unifetch::Result<Response> {
    let url = with_scheme(&args.url);
    let mut request = session.request(method.clone(), &url).query(&items.query);
    for (name, value) in &items.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if !items.fields.is_empty() {
        request = if args.form {
            request.form(&items.form_body())
        } else {
            request.json(&items.json_body())
        };
    }
    if args.verbose {
        eprintln!("> {method} {url}");
    }
    request.send().await
}

/// `localhost:8080/get` means `http://localhost:8080/get`, as in httpie.
fn with_scheme(url: &str) -> String {
    if url.contains("://") {
        url.to_owned()
    } else if let Some(rest) = url.strip_prefix(':') {
        format!("http://localhost:{rest}")
    } else {
        format!("http://{url}")
    }
}

/// The most of a JSON body held to pretty-print it; a longer one is
/// printed as it comes.
const PRETTY_LIMIT: usize = 8 << 20;

async fn print_response(mut response: Response, verbose: bool) -> ExitCode {
    let status = response.status();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{:?} {}", response.version(), status);
    for (name, value) in response.headers() {
        let _ = writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    let _ = writeln!(out);
    drop(out);
    if verbose && !response.history().is_empty() {
        eprintln!(
            "< {} redirect(s), ended at {}",
            response.history().len(),
            response.url()
        );
    }
    let is_json = response.content_type().is_some_and(|ct| ct.is_json());
    if let Err(error) = print_body(&mut response, is_json).await {
        return Failure::from(error).report();
    }
    if status.is_client_error() {
        ExitCode::from(EXIT_CLIENT_ERROR)
    } else if status.is_server_error() {
        ExitCode::from(EXIT_SERVER_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes the body to stdout as it arrives, in constant memory: a JSON
/// body up to [`PRETTY_LIMIT`] is held and pretty-printed, anything else
/// (or more) streams through. A body cut short is an error after the bytes
/// that came; a closed stdout (`| head`) ends the reading quietly.
async fn print_body(response: &mut Response, is_json: bool) -> unifetch::Result<()> {
    let mut held = Vec::new();
    let mut streaming = !is_json;
    while let Some(chunk) = response.chunk().await? {
        let open = if streaming {
            write_out(&chunk)
        } else if held.len() + chunk.len() > PRETTY_LIMIT {
            streaming = true;
            write_out(&std::mem::take(&mut held)) && write_out(&chunk)
        } else {
            held.extend_from_slice(&chunk);
            true
        };
        if !open {
            return Ok(());
        }
    }
    if !streaming {
        match serde_json::from_slice::<serde_json::Value>(&held) {
            Ok(json) => write_out(format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()).as_bytes()),
            Err(_) => write_out(&held),
        };
    }
    Ok(())
}

/// Writes `bytes` to stdout; false once stdout is closed.
fn write_out(bytes: &[u8]) -> bool {
    std::io::stdout().lock().write_all(bytes).is_ok()
}
