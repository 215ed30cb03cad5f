//! `unifetch [FLAGS] [METHOD] URL [ITEM…]`: one request, as httpie and xh
//! send and print it, with their exit codes.

pub(crate) mod args;
mod download;
mod json;
mod offline;
mod output;
mod session_file;
mod upload;

use std::io::{BufReader, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use unifetch::hooks::{BeforeRequest, Hooks};
use unifetch::redirect::Redirect;
use unifetch::{CookieJar, Method, Proxy, Response, Retry, Session, SessionBuilder, Timeout};

use self::args::{split_words, AuthType, HttpArgs};
use self::download::{NotSaved, Saved, Target};
use self::output::{Look, Parts, Printer, Sink};
use self::session_file::SavedAuth;
use super::items::Items;

/// 1: an error (connecting, a broken body, bad input read from files).
pub(crate) const EXIT_ERROR: u8 = 1;
/// 2: a timeout, or a usage error (as httpie's and xh's, whose argument
/// parsers exit 2).
pub(crate) const EXIT_TIMEOUT: u8 = 2;
/// What httpie and xh accept when they send JSON.
const JSON_ACCEPT: &str = "application/json, */*;q=0.5";
/// 6: more redirects than `--max-redirects`.
const EXIT_TOO_MANY_REDIRECTS: u8 = 6;
/// 130: interrupted (Ctrl-C).
const EXIT_INTERRUPTED: u8 = 130;

/// What went wrong before or while sending.
enum Failure {
    /// A command line that does not hold together (exit 2, as a usage error).
    Usage(String),
    /// Input that cannot be used: a file, a bad answer at the prompt.
    Invalid(String),
    /// Ctrl-C at the password prompt.
    Interrupted,
    Request(unifetch::Error),
}

impl From<unifetch::Error> for Failure {
    fn from(error: unifetch::Error) -> Failure {
        Failure::Request(error)
    }
}

impl Failure {
    /// Says what failed on one line of stderr; the exit code says how.
    fn report(self) -> ExitCode {
        let error = match self {
            Failure::Usage(message) => {
                eprintln!("unifetch: {message} (see --help)");
                return ExitCode::from(EXIT_TIMEOUT);
            }
            Failure::Invalid(message) => {
                eprintln!("unifetch: {message}");
                return ExitCode::from(EXIT_ERROR);
            }
            Failure::Interrupted => return ExitCode::from(EXIT_INTERRUPTED),
            Failure::Request(error) => error,
        };
        eprintln!("unifetch: {error:#}");
        let too_many_redirects = std::iter::successors(std::error::Error::source(&error), |inner| inner.source())
            .any(|inner| inner.is::<TooManyRedirects>());
        ExitCode::from(if error.is_timeout() {
            EXIT_TIMEOUT
        } else if too_many_redirects {
            EXIT_TOO_MANY_REDIRECTS
        } else {
            EXIT_ERROR
        })
    }
}

/// Sends the request the arguments describe and prints what they ask for.
///
/// What is read first (files, stdin, a password typed at the prompt) is
/// read before the exchange starts; Ctrl-C at the prompt exits 130 once
/// the terminal is restored. Ctrl-C is caught before anything is sent, and
/// from then on ends the exchange at once with 130.
pub(crate) async fn run(args: HttpArgs) -> ExitCode {
    let exchange = match Exchange::prepare(args) {
        Ok(Prepared::Send(exchange)) => exchange,
        Ok(Prepared::Printed(code)) => return code,
        Err(failure) => return failure.report(),
    };
    tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => ExitCode::from(EXIT_INTERRUPTED),
        code = exchange.send_and_print() => code,
    }
}

/// What the command line comes to before anything is sent.
enum Prepared {
    Send(Box<Exchange>),
    /// `--offline` or `--curl`: the request was printed, not sent.
    Printed(ExitCode),
}

/// A request ready to send, and what to do with its answer.
struct Exchange {
    args: HttpArgs,
    terminal: bool,
    sink: Sink,
    parts: Parts,
    look: Look,
    plan: Plan,
    /// `-d`: where the body is saved.
    target: Option<Target>,
    session: Session,
    /// `--session`: the file kept, saved after the request.
    kept: Option<session_file::Session>,
    /// `-a`'s credentials as given (a missing password stays missing), for
    /// the session file.
    given_auth: Option<SavedAuth>,
    jar: Option<Arc<CookieJar>>,
}

impl Exchange {
    /// Everything but sending: the command line, files, stdin and the
    /// password prompt.
    fn prepare(args: HttpArgs) -> Result<Prepared, Failure> {
        // `-o FILE` without `-d` writes what would be printed to the file, as
        // to a pipe; with `-d` it names the download.
        let sink = match args.output.as_ref().filter(|_| !args.download) {
            Some(path) => std::fs::File::create(path)
                .map(|file| Sink::File(Arc::new(std::sync::Mutex::new(file))))
                .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", path.display())))?,
            None => Sink::Stdout,
        };
        let terminal = output::stdout_is_terminal() && matches!(sink, Sink::Stdout);
        let parts = Parts::from_args(&args, terminal).map_err(Failure::Usage)?;
        let look = Look::from_args(args.pretty, terminal);
        let (method, url, raw_items) = split_words(&args.words);
        let url = with_scheme(url);
        let items = Items::parse(raw_items).map_err(Failure::Usage)?;
        if args.json && !items.files.is_empty() {
            return Err(Failure::Usage(
                "file uploads go in a multipart form, not in JSON (drop --json)".to_owned(),
            ));
        }
        let body = body_source(&args, &items)?;
        let method = match method {
            Some(method) => Method::from_bytes(method.as_bytes())
                .map_err(|_| Failure::Usage(format!("{method:?} is not a method")))?,
            None if body.is_some() || items.has_data() => Method::POST,
            None => Method::GET,
        };
        let kept = match args
            .session
            .as_deref()
            .map(|name| (name, false))
            .or(args.session_read_only.as_deref().map(|name| (name, true)))
        {
            None => None,
            Some((name, read_only)) => Some(
                unifetch::Url::parse(&url)
                    .map_err(|e| format!("{url:?}: {e}"))
                    .and_then(|parsed| session_file::Session::open(name, &parsed, read_only))
                    .map_err(Failure::Invalid)?,
            ),
        };
        let jar = match &kept {
            Some(kept) => Some(kept.jar.clone()),
            None => load_jar(&args)?,
        };
        let given_auth = args.auth.as_ref().map(|given| SavedAuth {
            kind: match args.auth_type.unwrap_or(AuthType::Basic) {
                AuthType::Basic => "basic".to_owned(),
                AuthType::Bearer => "bearer".to_owned(),
                AuthType::Digest => "digest".to_owned(),
            },
            credentials: given.clone(),
        });
        let login = given_auth
            .as_ref()
            .or(kept.as_ref().and_then(|kept| kept.file.auth.as_ref()))
            // --offline prints no digest answer: no password to ask for.
            .filter(|auth| !(args.offline && auth.kind == "digest"))
            .map(Login::from_saved)
            .transpose()?;
        let mut headers = kept.as_ref().map(|kept| kept.file.headers.clone()).unwrap_or_default();
        headers.retain(|(name, _)| !items.headers.iter().any(|(given, _)| given.eq_ignore_ascii_case(name)));
        headers.extend(items.headers.iter().cloned());
        // Files and stdin are streamed, unless the request is only printed or
        // may have to go twice (to answer a digest challenge).
        let digest = matches!(login, Some(Login::Digest { .. }));
        let streamed = !(args.offline || args.curl || digest);
        let body = body
            .map(|given| given.into_plan_body(streamed))
            .transpose()
            .map_err(|e| Failure::Invalid(format!("cannot read stdin: {e}")))?;
        let plan = Plan {
            method,
            url,
            items,
            headers,
            login,
            body,
            streamed,
        };
        let target = args
            .download
            .then(|| Target::new(args.output.clone(), args.resume))
            .transpose()
            .map_err(Failure::Usage)?;
        let session = session(&args, parts, look, &sink, target.is_some(), jar.clone())?;
        if args.offline || args.curl {
            let code = offline_or_curl(&session, &plan, &args, look, &sink, jar.as_deref());
            return Ok(Prepared::Printed(code));
        }
        Ok(Prepared::Send(Box::new(Exchange {
            args,
            terminal,
            sink,
            parts,
            look,
            plan,
            target,
            session,
            kept,
            given_auth,
            jar,
        })))
    }

    /// Sends the request (twice to answer a digest challenge), prints or
    /// saves the answer, then keeps the session or the cookie jar.
    async fn send_and_print(self: Box<Self>) -> ExitCode {
        let this = *self;
        let started = Instant::now();
        let sent = async {
            let range = this.target.as_ref().and_then(|target| target.resume_from);
            let send = |authorization: Option<String>| {
                let mut request = this.plan.builder(&this.session, &this.args)?;
                if let Some(from) = range {
                    request = request.header("Range", format!("bytes={from}-"));
                }
                if this.target.is_some() {
                    // Saved as sent: a resumed range counts the bytes on disk.
                    request = request.header("Accept-Encoding", "identity");
                }
                if let Some(authorization) = authorization {
                    request = request.header("Authorization", authorization);
                }
                Ok::<_, Failure>(request.send())
            };
            let response = send(None)?.await?;
            match &this.plan.login {
                Some(Login::Digest { user, password }) if response.status() == unifetch::StatusCode::UNAUTHORIZED => {
                    let answer = digest_answer(&response, &this.plan.method, user, password)?;
                    Ok::<_, Failure>(send(Some(answer))?.await?)
                }
                _ => Ok(response),
            }
        }
        .await;
        let code = match (sent, &this.target) {
            (Ok(mut response), Some(target)) => match target.save(&mut response).await {
                Ok(Saved::Written { path, bytes }) => {
                    eprintln!("unifetch: saved {} ({bytes} bytes)", path.display());
                    ExitCode::SUCCESS
                }
                Ok(Saved::AlreadyComplete { path, bytes }) => {
                    eprintln!("unifetch: {} is complete already ({bytes} bytes)", path.display());
                    ExitCode::SUCCESS
                }
                Err(NotSaved::Status(status)) => {
                    eprintln!("unifetch: HTTP {status}: nothing saved");
                    ExitCode::from(status_exit_code(status).unwrap_or(EXIT_ERROR))
                }
                Err(NotSaved::File(message)) => Failure::Invalid(message).report(),
                Err(NotSaved::Body(error)) => Failure::Request(error).report(),
            },
            (Ok(response), None) => {
                let printer = Printer::new(this.look, this.sink);
                print_response(response, &this.args, this.parts, printer, this.terminal, started).await
            }
            (Err(failure), _) => failure.report(),
        };
        if let Some(kept) = this.kept {
            if let Err(message) = kept.save(&this.plan.items.headers, this.given_auth) {
                return Failure::Invalid(message).report();
            }
        } else if let (Some(jar), Some(path)) = (this.jar, &this.args.cookie_jar) {
            if let Err(failure) = save_jar(&jar, path) {
                return failure.report();
            }
        }
        code
    }
}

/// `--offline`: the request printed (its head and body unless `--print`
/// says otherwise); `--curl`: the request as a curl command line.
fn offline_or_curl(
    session: &Session,
    plan: &Plan,
    args: &HttpArgs,
    look: Look,
    sink: &Sink,
    jar: Option<&CookieJar>,
) -> ExitCode {
    let built = plan.builder(session, args).and_then(|request| Ok(request.build()?));
    let built = match built {
        Ok(built) => built,
        Err(failure) => return failure.report(),
    };
    if args.curl {
        let cookies = jar.and_then(|jar| jar.header_for(built.url()));
        let digest = match &plan.login {
            Some(Login::Digest { user, password }) => Some((user.as_str(), password.as_str())),
            _ => None,
        };
        return match offline::curl_command(&built, args, cookies, digest) {
            Some(command) => {
                println!("{command}");
                ExitCode::SUCCESS
            }
            None => {
                Failure::Usage("--curl: the body is not text, and a command line cannot carry it".to_owned()).report()
            }
        };
    }
    let parts = match &args.print {
        Some(_) => Parts::from_args(args, false).unwrap_or_default(),
        None => Parts {
            request_head: true,
            request_body: true,
            ..Parts::default()
        },
    };
    output::print_request(&mut Printer::new(look, sink.clone()), &built, parts);
    ExitCode::SUCCESS
}

/// The request body that is not made of items: `--raw`, or a piped stdin
/// (unless `-I`); with data items too, an error, as in httpie. Stdin is not
/// read to find that out (a pipe left open would never answer): only stdin
/// that is known to be empty (`/dev/null`, an empty file) goes with items.
fn body_source(args: &HttpArgs, items: &Items) -> Result<Option<Given>, Failure> {
    if let Some(raw) = &args.raw {
        if items.has_data() {
            return Err(Failure::Usage("--raw and data items cannot be mixed".to_owned()));
        }
        return Ok(Some(Given::Raw(raw.clone().into_bytes())));
    }
    if args.ignore_stdin || std::io::stdin().is_terminal() || upload::stdin_is_empty() {
        return Ok(None);
    }
    if items.has_data() {
        return Err(Failure::Usage(
            "a body from stdin and data items cannot be mixed (-I/--ignore-stdin ignores stdin)".to_owned(),
        ));
    }
    let stdin = upload::Stdin::open().map_err(|e| Failure::Invalid(format!("cannot read stdin: {e}")))?;
    Ok(stdin.map(Given::Stdin))
}

/// A request body not made of items.
enum Given {
    Raw(Vec<u8>),
    Stdin(upload::Stdin),
}

impl Given {
    /// The body as the plan sends it: stdin streamed or read whole.
    fn into_plan_body(self, streamed: bool) -> std::io::Result<PlanBody> {
        Ok(match self {
            Given::Raw(bytes) => PlanBody::Bytes(bytes),
            Given::Stdin(stdin) if streamed => PlanBody::Streamed(std::sync::Mutex::new(Some(stdin.into_body()))),
            Given::Stdin(stdin) => PlanBody::Bytes(stdin.into_bytes()?),
        })
    }
}

/// A body from stdin or `--raw`, as the plan sends it.
enum PlanBody {
    Bytes(Vec<u8>),
    /// Streamed from stdin: sent once.
    Streamed(std::sync::Mutex<Option<unifetch::Body>>),
}

/// The session the flags describe.
fn session(
    args: &HttpArgs,
    parts: Parts,
    look: Look,
    sink: &Sink,
    saving: bool,
    jar: Option<Arc<CookieJar>>,
) -> Result<Session, Failure> {
    let timeout = Timeout {
        total: args.timeout,
        connect: args.connect_timeout,
        sock_read: args.read_timeout,
        ..Timeout::default()
    };
    let insecure = args.skips_verification();
    let mut builder: SessionBuilder = Session::builder()
        .timeout(timeout)
        .retry(retry_policy(args))
        .redirect(redirect_policy(args))
        .decompress(!args.no_decompress && !saving)
        .trust_env(args.trust_env)
        .danger_accept_invalid_certs(insecure);
    if parts.request_head || parts.request_body {
        builder = builder.hooks(print_requests(parts, look, sink.clone()));
    }
    builder = match args.http_version.as_deref() {
        Some("1.1") => builder.http1_only(),
        Some(_) => builder.http2_prior_knowledge(),
        None => builder,
    };
    for proxy in &args.proxy {
        builder = builder.proxy(proxy_for(proxy)?);
    }
    if let Some(path) = &args.cacert {
        builder = builder.tls_root_certificates(read(path)?);
    }
    if let Some(bundle) = args.ca_bundle() {
        // As httpie and curl: the bundle is what is trusted, alone.
        builder = builder.tls_built_in_roots(false).tls_root_certificates(read(bundle)?);
    }
    if let Some(cert) = &args.cert {
        let key = read(args.key.as_ref().unwrap_or(cert))?;
        builder = builder.tls_client_identity(read(cert)?, key);
    }
    if insecure {
        eprintln!("unifetch: warning: TLS certificates and names are not checked");
    }
    if let Some(bytes) = args.max_body {
        builder = builder.max_body_size(bytes);
    }
    if let Some(jar) = jar {
        builder = builder.cookie_jar(jar);
    }
    Ok(builder.build()?)
}

/// `--proxy URL` for every scheme, or `--proxy SCHEME:URL` for one.
fn proxy_for(text: &str) -> Result<Proxy, Failure> {
    let (scheme, url) = match text.split_once(':') {
        Some((scheme @ ("http" | "https"), rest)) if !rest.starts_with("//") => (Some(scheme), rest),
        _ => (None, text),
    };
    Ok(match scheme {
        Some("http") => Proxy::http(url)?,
        Some(_) => Proxy::https(url)?,
        None => Proxy::all(url)?,
    })
}

/// A hook that prints each request as it is sent (`--print H`/`B`).
fn print_requests(parts: Parts, look: Look, sink: Sink) -> Hooks {
    Hooks::new().before_request(move |request: unifetch::Request| {
        output::print_request(&mut Printer::new(look, sink.clone()), &request, parts);
        async move { Ok(BeforeRequest::Send(request)) }
    })
}

/// The request the command line describes, before a session sends it
/// (once, or twice to answer a digest challenge).
struct Plan {
    method: Method,
    url: String,
    items: Items,
    /// The session's headers, then the items' (which win).
    headers: Vec<(String, String)>,
    login: Option<Login>,
    /// A body from stdin or `--raw`.
    body: Option<PlanBody>,
    /// Whether files are read as they are sent rather than first.
    streamed: bool,
}

impl Plan {
    /// The request, built for `session`: items, headers, body and auth.
    fn builder(&self, session: &Session, args: &HttpArgs) -> Result<unifetch::RequestBuilder, Failure> {
        let Plan {
            method,
            url,
            items,
            headers,
            login,
            body,
            streamed,
        } = self;
        let mut request = session.request(method.clone(), url).query(&items.query);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let has_content_type = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if let Some(body) = body {
            request = match body {
                PlanBody::Bytes(bytes) => request.body(bytes.clone()),
                PlanBody::Streamed(once) => {
                    let stdin = once.lock().unwrap_or_else(|e| e.into_inner()).take();
                    request.body(stdin.ok_or_else(|| Failure::Invalid("stdin was sent already".to_owned()))?)
                }
            };
            // As httpie: a body sent as it is counts as JSON unless --form says
            // otherwise or an item names the type.
            if !has_content_type {
                let content_type = if args.form {
                    "application/x-www-form-urlencoded"
                } else {
                    "application/json"
                };
                request = request.header("Content-Type", content_type);
            }
        } else if args.multipart || !items.files.is_empty() {
            request = request.multipart(multipart_form(items, *streamed)?);
        } else if !items.fields.is_empty() {
            request = if args.form {
                request.form(&items.form_body())
            } else {
                request.json(&items.json_body())
            };
        }
        // As httpie and xh: JSON sent (or --json) asks for JSON back, unless
        // an item says what to accept.
        let sends_json =
            !args.form && !args.multipart && items.files.is_empty() && (body.is_some() || !items.fields.is_empty());
        let accept_given = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept"));
        if (args.json || sends_json) && !accept_given {
            request = request.header("Accept", JSON_ACCEPT);
        }
        request = match login {
            Some(Login::Basic { user, password }) => request.basic_auth(user, Some(password)),
            Some(Login::Bearer(token)) => request.bearer_auth(token),
            // Answered once the server's challenge is known.
            Some(Login::Digest { .. }) | None => request,
        };
        Ok(request)
    }
}

/// The `Authorization` that answers the digest challenge of `response` (a
/// 401) to `method` on its URL, as `user` with `password`.
fn digest_answer(response: &Response, method: &Method, user: &str, password: &str) -> Result<String, Failure> {
    let challenge = response
        .headers()
        .get_all(unifetch::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.trim_start().to_ascii_lowercase().starts_with("digest "))
        .ok_or_else(|| Failure::Invalid("the server answered 401 without a Digest challenge".to_owned()))?;
    let mut prompt =
        digest_auth::parse(challenge).map_err(|e| Failure::Invalid(format!("the server's Digest challenge: {e}")))?;
    let uri = offline::target(response.url());
    let context = digest_auth::AuthContext::new_with_method(
        user,
        password,
        uri,
        Option::<&[u8]>::None,
        digest_auth::HttpMethod(method.as_str().to_owned().into()),
    );
    let answer = prompt
        .respond(&context)
        .map_err(|e| Failure::Invalid(format!("cannot answer the Digest challenge: {e}")))?;
    Ok(answer.to_header_string())
}

/// Credentials as sent: the password asked for already when `-a` (or the
/// session) gave only a user.
enum Login {
    Basic { user: String, password: String },
    Bearer(String),
    Digest { user: String, password: String },
}

impl Login {
    fn from_saved(auth: &SavedAuth) -> Result<Login, Failure> {
        if auth.kind == "bearer" {
            return Ok(Login::Bearer(auth.credentials.clone()));
        }
        let (user, password) = credentials(&auth.credentials)?;
        Ok(match auth.kind.as_str() {
            "digest" => Login::Digest { user, password },
            _ => Login::Basic { user, password },
        })
    }
}

/// `USER:PASS`, or `USER` and the password asked for on the terminal.
fn credentials(auth: &str) -> Result<(String, String), Failure> {
    if let Some((user, password)) = auth.split_once(':') {
        return Ok((user.to_owned(), password.to_owned()));
    }
    // The prompt reads the terminal itself (/dev/tty), whatever stdin is.
    // It reads Ctrl-C as a key and raises SIGINT: caught here, so that the
    // prompt puts the terminal back (echo on) before unifetch exits 130.
    let _caught = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    let password = rpassword::prompt_password(format!("password for {auth}: ")).map_err(|e| match e.kind() {
        std::io::ErrorKind::Interrupted => Failure::Interrupted,
        _ => Failure::Invalid(format!(
            "-a {auth:?}: no password, and no terminal to ask for one (write USER:PASS): {e}"
        )),
    })?;
    Ok((auth.to_owned(), password))
}

/// Data fields as text parts, files as file parts (read as they are sent
/// when `streamed`, else first).
fn multipart_form(items: &Items, streamed: bool) -> Result<unifetch::multipart::Form, Failure> {
    let mut form = unifetch::multipart::Form::new();
    for (name, value) in items.form_body() {
        form = form.text(name, value);
    }
    for upload in &items.files {
        let path = &upload.path;
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut part = if streamed {
            let body =
                upload::file(path).map_err(|e| Failure::Invalid(format!("cannot read {}: {e}", path.display())))?;
            unifetch::multipart::Part::stream(body)
        } else {
            unifetch::multipart::Part::bytes(read(path)?)
        }
        .file_name(file_name);
        if let Some(mime) = &upload.mime {
            part = part.mime(mime.clone());
        }
        form = form.part(upload.field.clone(), part);
    }
    Ok(form)
}

/// A file the arguments name.
fn read(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Invalid(format!("cannot read {}: {e}", path.display())))
}

/// `--retry N`: N retries; none by default, as curl.
fn retry_policy(args: &HttpArgs) -> Retry {
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

/// Redirects are followed only with `--follow`, up to `--max-redirects`.
fn redirect_policy(args: &HttpArgs) -> Redirect {
    if !args.follow {
        return Redirect::none();
    }
    let (max, verbose) = (args.max_redirects, args.verbose);
    Redirect::custom(move |attempt| {
        if attempt.previous().len() > max {
            return attempt.error(TooManyRedirects(max));
        }
        if verbose {
            eprintln!("< {} → {}", attempt.status(), attempt.url());
        }
        attempt.follow()
    })
}

/// `--max-redirects` exceeded (exit 6).
#[derive(Debug)]
struct TooManyRedirects(usize);

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} redirects", self.0)
    }
}

impl std::error::Error for TooManyRedirects {}

fn load_jar(args: &HttpArgs) -> Result<Option<Arc<CookieJar>>, Failure> {
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
    let mut bytes = Vec::new();
    jar.save_json(&mut bytes)?;
    session_file::write_atomically(path, &bytes).map_err(Failure::Invalid)
}

/// `localhost:8080/get` means `http://localhost:8080/get`, as in httpie.
fn with_scheme(url: &str) -> String {
    if url.contains("://") {
        url.to_owned()
    } else if let Some(rest) = url.strip_prefix(':') {
        format!("http://localhost{}{rest}", if rest.starts_with('/') { "" } else { ":" })
    } else {
        format!("http://{url}")
    }
}

/// Prints what `parts` asks for of `response`; the exit code follows
/// `--check-status`.
async fn print_response(
    mut response: Response,
    args: &HttpArgs,
    parts: Parts,
    mut printer: Printer,
    terminal: bool,
    started: Instant,
) -> ExitCode {
    if parts.response_head {
        printer.head(
            &output::status_line(&response),
            Some(response.status()),
            response.headers(),
        );
    }
    if parts.response_body && printer.is_open() {
        if let Err(error) = printer.response_body(&mut response, terminal).await {
            return Failure::from(error).report();
        }
    }
    if parts.meta {
        let elapsed: Duration = started.elapsed();
        printer.raw(format!("\nElapsed time: {:.6}s\n", elapsed.as_secs_f64()).as_bytes());
    }
    let status = response.status();
    let followed_to_a_3xx = args.follow && status.is_redirection();
    let Some(code) = status_exit_code(status).filter(|_| args.check_status && !followed_to_a_3xx) else {
        return ExitCode::SUCCESS;
    };
    if !terminal {
        eprintln!("unifetch: warning: HTTP {status}");
    }
    ExitCode::from(code)
}

/// `--check-status`'s code for `status`: 3, 4 or 5 for 3xx, 4xx, 5xx.
fn status_exit_code(status: unifetch::StatusCode) -> Option<u8> {
    match status.as_u16() {
        300..=399 => Some(3),
        400..=499 => Some(4),
        500..=599 => Some(5),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_a_scheme_are_http() {
        assert_eq!(with_scheme(":8080/get"), "http://localhost:8080/get");
        assert_eq!(with_scheme(":/get"), "http://localhost/get");
        assert_eq!(with_scheme("example.com/x"), "http://example.com/x");
        assert_eq!(with_scheme("https://a.test/"), "https://a.test/");
    }
}
