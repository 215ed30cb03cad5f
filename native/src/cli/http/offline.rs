//! `--offline` (the request printed, never sent) and `--curl` (the same
//! request as a curl command line).

use unifetch::Request;

use super::args::HttpArgs;

/// The request line's target for `url`: the path and query.
pub(crate) fn target(url: &unifetch::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// `request` as one curl command line, its words quoted for a POSIX shell,
/// with `cookies` (the session's or the jar's for its URL) and the `digest`
/// credentials (user, password) curl answers a challenge with; `None` for
/// a body that is not text, which no command line can carry as it is.
pub(crate) fn curl_command(
    request: &Request,
    args: &HttpArgs,
    cookies: Option<String>,
    digest: Option<(&str, &str)>,
) -> Option<String> {
    let mut words: Vec<String> = vec!["curl".to_owned()];
    if request.method() != unifetch::Method::GET || request.body().as_bytes().is_some_and(|b| !b.is_empty()) {
        words.extend(["--request".to_owned(), request.method().to_string()]);
    }
    words.push(quote(request.url().as_str()));
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        words.extend(["--header".to_owned(), quote(&format!("{name}: {value}"))]);
    }
    if let Some(cookies) = cookies {
        words.extend(["--cookie".to_owned(), quote(&cookies)]);
    }
    if let Some((user, password)) = digest {
        words.extend([
            "--digest".to_owned(),
            "--user".to_owned(),
            quote(&format!("{user}:{password}")),
        ]);
    }
    match request.body().as_bytes() {
        // --data-raw: a body starting with `@` is not a file name to curl.
        Some(bytes) if !bytes.is_empty() => {
            words.extend(["--data-raw".to_owned(), quote(std::str::from_utf8(bytes).ok()?)]);
        }
        _ => {}
    }
    if let Some(version) = &args.http_version {
        words.push(
            if version == "2" {
                "--http2-prior-knowledge"
            } else {
                "--http1.1"
            }
            .to_owned(),
        );
    }
    if args.follow {
        words.extend([
            "--location".to_owned(),
            "--max-redirs".to_owned(),
            args.max_redirects.to_string(),
        ]);
    }
    if let Some(total) = args.timeout {
        words.extend(["--max-time".to_owned(), total.as_secs_f64().to_string()]);
    }
    if let Some(connect) = args.connect_timeout {
        words.extend(["--connect-timeout".to_owned(), connect.as_secs_f64().to_string()]);
    }
    if args.skips_verification() {
        words.push("--insecure".to_owned());
    }
    for proxy in &args.proxy {
        words.extend(["--proxy".to_owned(), quote(proxy)]);
    }
    for (flag, path) in [("--cacert", &args.cacert), ("--cert", &args.cert), ("--key", &args.key)] {
        if let Some(path) = path {
            words.extend([flag.to_owned(), quote(&path.to_string_lossy())]);
        }
    }
    if let Some(max) = args.max_body {
        words.extend(["--max-filesize".to_owned(), max.to_string()]);
    }
    if !args.no_decompress {
        words.push("--compressed".to_owned());
    }
    Some(words.join(" "))
}

/// `text` as one shell word: bare when it is plainly safe, else in single
/// quotes (a quote inside written `'\''`).
fn quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(quote("http://a.test/x?y=1"), "'http://a.test/x?y=1'");
        assert_eq!(quote("plain-word"), "plain-word");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
