//! `unifetch get|post|… URL items…`: one request, printed like httpie.

use std::io::Write;
use std::process::ExitCode;

use unifetch::{Method, Response, Session, Timeout};

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
    match send(method, &args, &items).await {
        Ok(response) => print_response(response, args.verbose).await,
        Err(error) => report(&error),
    }
}

async fn send(method: Method, args: &RequestArgs, items: &Items) -> unifetch::Result<Response> {
    let mut builder = Session::builder();
    if let Some(total) = args.timeout {
        builder = builder.timeout(Timeout {
            total: Some(total),
            ..Timeout::default()
        });
    }
    let session = builder.build()?;
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

async fn print_response(response: Response, verbose: bool) -> ExitCode {
    let status = response.status();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{:?} {}", response.version(), status);
    for (name, value) in response.headers() {
        let _ = writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    let _ = writeln!(out);
    drop(out);
    if verbose && !response.history().is_empty() {
        for hop in response.history() {
            eprintln!("< redirected from {hop}");
        }
    }
    let is_json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => return report(&error),
    };
    let mut out = std::io::stdout().lock();
    match is_json
        .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
        .flatten()
    {
        Some(json) => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&json).unwrap_or_default());
        }
        None => {
            let _ = out.write_all(&body);
        }
    }
    if status.is_client_error() {
        ExitCode::from(EXIT_CLIENT_ERROR)
    } else if status.is_server_error() {
        ExitCode::from(EXIT_SERVER_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn report(error: &unifetch::Error) -> ExitCode {
    let mut message = format!("unifetch: {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    eprintln!("{message}");
    if error.is_builder() {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::from(EXIT_TRANSPORT)
    }
}
