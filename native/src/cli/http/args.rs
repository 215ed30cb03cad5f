//! The request command line, httpie's and xh's: `unifetch [FLAGS]
//! [METHOD] URL [ITEM…]`, flags anywhere.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Sends one HTTP request, httpie-style: `unifetch [FLAGS] [METHOD] URL
/// [ITEM…]`.
///
/// Items: `Header:Value` header (`Header:` empty), `name==value` query
/// parameter, `field=value` field, `field:=json` JSON field,
/// `field=@file` a file's text, `field:=@file.json` a file's JSON,
/// `field@file[;type=MIME]` a file upload (a multipart form); `\` makes
/// the next `:`, `=` or `@` literal.
///
/// Exit codes: 0 success, 1 error, 2 timeout or usage error, 3/4/5 a
/// 3xx/4xx/5xx with --check-status, 6 too many redirects, 130 interrupted.
#[derive(Parser, Debug)]
#[command(
    name = "unifetch",
    version,
    disable_help_flag = true,
    allow_negative_numbers = true,
    after_help = "Other commands: unifetch crawl | export | serve | demo (see `unifetch crawl --help`)."
)]
pub(crate) struct HttpArgs {
    /// [METHOD] URL [ITEM…]: METHOD defaults to GET, or POST when data is sent.
    #[arg(value_name = "[METHOD] URL [ITEM]", required = true, num_args = 1..)]
    pub(crate) words: Vec<String>,

    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,

    /// What to print: H request headers, B request body, h response
    /// headers, b response body, m metadata (default: hb on a terminal, b
    /// otherwise).
    #[arg(short = 'p', long = "print", value_name = "WHAT", help_heading = "Output")]
    pub(crate) print: Option<String>,
    /// Print only the response headers (--print=h).
    #[arg(short = 'h', long = "headers", help_heading = "Output")]
    pub(crate) headers_only: bool,
    /// Print only the response body (--print=b).
    #[arg(short = 'b', long = "body", help_heading = "Output")]
    pub(crate) body_only: bool,
    /// Print the request too, and each redirect and retry (--print=HBhb).
    #[arg(short = 'v', long, help_heading = "Output")]
    pub(crate) verbose: bool,
    /// Print nothing but errors.
    #[arg(short = 'q', long, help_heading = "Output")]
    pub(crate) quiet: bool,
    /// Colours and formatting: all, colors, format or none (default: all
    /// on a terminal, none otherwise; NO_COLOR turns colours off).
    #[arg(long, value_enum, help_heading = "Output")]
    pub(crate) pretty: Option<Pretty>,
    /// With 3xx, 4xx or 5xx exit 3, 4 or 5 (and warn on stderr when
    /// stdout is not a terminal).
    #[arg(long, help_heading = "Output")]
    pub(crate) check_status: bool,

    /// Send data fields as JSON (the default).
    #[arg(short = 'j', long, help_heading = "Body", conflicts_with_all = ["form", "multipart"])]
    pub(crate) json: bool,
    /// Send data fields as a form (application/x-www-form-urlencoded).
    #[arg(short = 'f', long, help_heading = "Body", conflicts_with = "multipart")]
    pub(crate) form: bool,
    /// Send data fields as a multipart form.
    #[arg(long, help_heading = "Body")]
    pub(crate) multipart: bool,
    /// Send DATA as the request body, as it is.
    #[arg(long, value_name = "DATA", help_heading = "Body")]
    pub(crate) raw: Option<String>,
    /// Do not read a piped stdin as the request body.
    #[arg(short = 'I', long, help_heading = "Body")]
    pub(crate) ignore_stdin: bool,

    /// Credentials: USER[:PASS] (asks for the password on a terminal when
    /// it is missing), or the token for --auth-type bearer.
    #[arg(short = 'a', long, value_name = "USER[:PASS]", help_heading = "Authentication")]
    pub(crate) auth: Option<String>,
    /// basic (the default), bearer, or digest (RFC 7616: the request is
    /// sent again with the answer to the server's challenge).
    #[arg(short = 'A', long, value_enum, help_heading = "Authentication")]
    pub(crate) auth_type: Option<AuthType>,

    /// Save the body to a file (its name from Content-Disposition or the
    /// URL, never overwriting: name-1…), with a progress bar on stderr.
    #[arg(short = 'd', long, help_heading = "Downloads")]
    pub(crate) download: bool,
    /// Write the output to FILE instead of stdout (as to a pipe: the body
    /// unless --print says more); with --download, the file to save.
    #[arg(short = 'o', long, value_name = "FILE", help_heading = "Downloads")]
    pub(crate) output: Option<PathBuf>,
    /// Go on with a partial --output file (Range), or start over when the
    /// server sends the whole body; a file the server says is whole (416)
    /// is left as it is.
    #[arg(short = 'c', long = "continue", help_heading = "Downloads")]
    pub(crate) resume: bool,

    /// Print the request instead of sending it.
    #[arg(long, help_heading = "Output")]
    pub(crate) offline: bool,
    /// Print the request as a curl command line instead of sending it.
    #[arg(long, help_heading = "Output", conflicts_with = "offline")]
    pub(crate) curl: bool,

    /// Follow redirects.
    #[arg(short = 'F', long, help_heading = "Redirects")]
    pub(crate) follow: bool,
    /// With --follow, at most N redirects (then exit 6).
    #[arg(long, value_name = "N", default_value_t = 30, help_heading = "Redirects")]
    pub(crate) max_redirects: usize,

    /// Total time for the request, body included, in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Timeouts and limits")]
    pub(crate) timeout: Option<Duration>,
    /// Time to get a connection (a free slot, then connecting), in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Timeouts and limits")]
    pub(crate) connect_timeout: Option<Duration>,
    /// Longest silence between two reads, in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Timeouts and limits")]
    pub(crate) read_timeout: Option<Duration>,
    /// Refuse a body longer than this many bytes (after decoding): the
    /// request fails (exit 1) once that much was read.
    #[arg(long, value_name = "BYTES", help_heading = "Timeouts and limits")]
    pub(crate) max_body: Option<u64>,
    /// Retry failed requests up to N times (idempotent methods).
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = "Timeouts and limits")]
    pub(crate) retry: u32,

    /// Send through this proxy: `http://user:pass@host:port`, `https://`
    /// (TLS to the proxy), `socks5://` or `socks5h://`; or SCHEME:URL to
    /// use it for one scheme only (`https:socks5h://127.0.0.1:1080`).
    #[arg(long, value_name = "[SCHEME:]URL", help_heading = "Network")]
    pub(crate) proxy: Vec<String>,
    /// Use HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY.
    #[arg(long, help_heading = "Network")]
    pub(crate) trust_env: bool,
    /// Speak only this HTTP version: 1.1, or 2 (without asking first: h2c
    /// in the clear). Default: HTTP/2 where TLS negotiates it.
    #[arg(long, value_name = "VERSION", value_parser = ["1.1", "2"], help_heading = "Network")]
    pub(crate) http_version: Option<String>,
    /// `no` (or `false`) to skip certificate checks, or a PEM bundle to
    /// trust instead of the system's certificates (as httpie's and curl's).
    #[arg(long, value_name = "no|yes|FILE", help_heading = "Network")]
    pub(crate) verify: Option<String>,
    /// Also trust the certificates in this PEM file (besides the system's).
    #[arg(long, value_name = "FILE", help_heading = "Network")]
    pub(crate) cacert: Option<PathBuf>,
    /// Present this client certificate (PEM; the key may follow it).
    #[arg(long, value_name = "FILE", help_heading = "Network")]
    pub(crate) cert: Option<PathBuf>,
    /// The client certificate's key, if not in the --cert file.
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "Network")]
    pub(crate) key: Option<PathBuf>,
    /// Do not check certificates (--verify=no).
    #[arg(long, help_heading = "Network")]
    pub(crate) insecure: bool,

    /// Keep cookies, credentials and custom headers in this session, updated
    /// after each request: a name (kept per host under
    /// ~/.config/unifetch/sessions), or a path (anything with `/` or `.`).
    #[arg(
        long,
        value_name = "NAME_OR_PATH",
        help_heading = "Sessions",
        conflicts_with = "cookie_jar"
    )]
    pub(crate) session: Option<String>,
    /// Use a session without updating it.
    #[arg(long, value_name = "NAME_OR_PATH", help_heading = "Sessions", conflicts_with_all = ["session", "cookie_jar"])]
    pub(crate) session_read_only: Option<String>,
    /// Read cookies from this file and save them back after the request.
    #[arg(long, value_name = "FILE", help_heading = "Sessions")]
    pub(crate) cookie_jar: Option<PathBuf>,
    /// Do not decode gzip, deflate, br or zstd bodies.
    #[arg(long, help_heading = "Body")]
    pub(crate) no_decompress: bool,
}

impl HttpArgs {
    /// `--insecure`, `--verify=no` or `--verify=false`.
    pub(crate) fn skips_verification(&self) -> bool {
        self.insecure
            || self
                .verify_word()
                .is_some_and(|word| matches!(word.as_str(), "no" | "false"))
    }

    /// `--verify=FILE`: the bundle to trust alone.
    pub(crate) fn ca_bundle(&self) -> Option<&std::path::Path> {
        let is_word = self
            .verify_word()
            .is_some_and(|word| matches!(word.as_str(), "no" | "false" | "yes" | "true"));
        self.verify.as_deref().filter(|_| !is_word).map(std::path::Path::new)
    }

    /// `--verify`'s value in lower case (`NO`, `False`: as httpie reads them).
    fn verify_word(&self) -> Option<String> {
        self.verify.as_deref().map(str::to_ascii_lowercase)
    }
}

/// `--pretty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Pretty {
    All,
    Colors,
    Format,
    None,
}

/// `--auth-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthType {
    Basic,
    Bearer,
    Digest,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(format!("{text:?}: a timeout is a positive number of seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// The methods a first word may name in lower case (`unifetch get URL`).
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"];

/// `[METHOD] URL [ITEM…]` split: the method if the first word is one
/// (a known method in any case, or any word in capitals) and more words
/// follow.
pub(crate) fn split_words(words: &[String]) -> (Option<String>, &str, &[String]) {
    let is_method = |word: &str| {
        METHODS.contains(&word.to_ascii_uppercase().as_str())
            || (!word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase()))
    };
    match words {
        [first, url, items @ ..] if is_method(first) => (Some(first.to_ascii_uppercase()), url, items),
        [url, items @ ..] => (None, url, items),
        [] => (None, "", &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn the_method_is_optional_and_may_be_lower_case() {
        let parts = words("get :8080/get a==1");
        assert_eq!(split_words(&parts), (Some("GET".to_owned()), ":8080/get", &parts[2..]));
        let parts = words(":8080/get a==1");
        assert_eq!(split_words(&parts), (None, ":8080/get", &parts[1..]));
        let parts = words("PURGE :8080/x");
        assert_eq!(split_words(&parts).0.as_deref(), Some("PURGE"));
        let parts = words("example.com");
        assert_eq!(split_words(&parts), (None, "example.com", &parts[1..]));
    }

    #[test]
    fn flags_may_come_anywhere_and_bad_values_are_refused() {
        let args = HttpArgs::try_parse_from(["unifetch", "-b", "post", ":1/x", "a=1", "--form", "-F"]).unwrap();
        assert!(args.body_only && args.form && args.follow);
        assert_eq!(args.words, ["post", ":1/x", "a=1"]);
        for bad in [["--timeout", "-1"], ["--timeout", "soon"], ["--max-redirects", "x"]] {
            let mut argv = vec!["unifetch", ":1/x"];
            argv.extend(bad);
            assert!(HttpArgs::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }
}
