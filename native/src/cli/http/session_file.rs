//! `--session NAME_OR_PATH`: cookies, credentials and custom headers kept
//! in a JSON file between runs, as httpie's sessions; updated after each
//! request unless `--session-read-only`.
//!
//! A name (no `/`, no `.`) is kept per host under
//! `$XDG_CONFIG_HOME/unifetch/sessions/HOST_PORT/NAME.json` (or
//! `~/.config/…`); anything else is the file's path.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use unifetch::{CookieJar, Url};

/// What a session file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct SessionFile {
    /// Headers sent with every request (the items' `Header:value`).
    #[serde(default)]
    pub(crate) headers: Vec<(String, String)>,
    /// `-a`'s credentials and `-A`'s type.
    #[serde(default)]
    pub(crate) auth: Option<SavedAuth>,
    /// The cookie jar, as `CookieJar::save_json` writes it.
    #[serde(default)]
    cookies: serde_json::Value,
}

/// Credentials as they were given.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedAuth {
    /// `basic`, `bearer` or `digest`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// `USER:PASS`, `USER` alone (the password is asked for each time), or
    /// the token.
    pub(crate) credentials: String,
}

/// A session in use: where it lives, and what it holds.
pub(crate) struct Session {
    path: PathBuf,
    read_only: bool,
    pub(crate) file: SessionFile,
    pub(crate) jar: Arc<CookieJar>,
}

impl Session {
    /// Opens the session `name_or_path` for requests to `url` (an absent
    /// file is an empty session).
    pub(crate) fn open(name_or_path: &str, url: &Url, read_only: bool) -> Result<Session, String> {
        let path = location(name_or_path, url)?;
        let file: SessionFile = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("the session file {} is not a session: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SessionFile::default(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let jar = if file.cookies.is_null() {
            CookieJar::new()
        } else {
            let bytes = serde_json::to_vec(&file.cookies).map_err(|e| e.to_string())?;
            CookieJar::load_json(bytes.as_slice())
                .map_err(|e| format!("the cookies of {} cannot be read: {e:#}", path.display()))?
        };
        Ok(Session {
            path,
            read_only,
            file,
            jar: Arc::new(jar),
        })
    }

    /// Keeps this request's headers and credentials (new ones replace old
    /// ones of the same name) and the jar, unless the session is read-only.
    pub(crate) fn save(mut self, headers: &[(String, String)], auth: Option<SavedAuth>) -> Result<(), String> {
        if self.read_only {
            return Ok(());
        }
        // As httpie: headers about one request's body or conditions are not kept.
        let per_request = |name: &str| {
            let name = name.to_ascii_lowercase();
            name.starts_with("content-") || name.starts_with("if-")
        };
        for (name, value) in headers.iter().filter(|(name, _)| !per_request(name)) {
            self.file.headers.retain(|(kept, _)| !kept.eq_ignore_ascii_case(name));
            self.file.headers.push((name.clone(), value.clone()));
        }
        if auth.is_some() {
            self.file.auth = auth;
        }
        let mut cookies = Vec::new();
        self.jar.save_json(&mut cookies).map_err(|e| format!("{e:#}"))?;
        self.file.cookies = serde_json::from_slice(&cookies).unwrap_or_default();
        if let Some(dir) = self.path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&self.file).map_err(|e| e.to_string())?;
        write_atomically(&self.path, text.as_bytes())
    }
}

/// The file of `name_or_path` for requests to `url`.
fn location(name_or_path: &str, url: &Url) -> Result<PathBuf, String> {
    if name_or_path.contains(['/', '.', '\\']) {
        return Ok(PathBuf::from(name_or_path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))
        .ok_or("neither XDG_CONFIG_HOME nor HOME is set: give the session as a path")?;
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}_{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => "localhost".to_owned(),
    };
    Ok(config
        .join("unifetch")
        .join("sessions")
        .join(host)
        .join(format!("{name_or_path}.json")))
}

/// Writes `bytes` to `path` through a temporary file renamed over it, so
/// that an interrupted run never leaves half a file; readable by its owner
/// only (it may hold credentials and cookies).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot write {}: {e}", path.display())
    })
}
