//! Downloads CMS release zips: where CMS posts them (the landing page's links, then a table of
//! the names CMS has used), and a careful HTTP GET (timeouts, bounded retries with backoff on
//! 5xx and connection errors, no retry on 404, a size cap, zip check, temporary file renamed
//! only when complete). Returns bytes and where they came from; reading them is `source`'s job.

pub mod catalogue;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::model::ReleaseId;

/// How long a whole download may take unless told otherwise: 10 minutes, an hour's worth of
/// CMS's largest zip (2.4 MB) at 1 KB/s.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);

/// How to reach CMS (or a mirror).
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Scheme and host (and path prefix) the catalogue's paths hang from.
    pub base_url: String,
    /// Fetch exactly this URL instead of looking the release up.
    pub url: Option<String>,
    /// Connect timeout, and the longest wait for any read.
    pub timeout: Duration,
    /// Further attempts after a 5xx answer or a connection error.
    pub retries: u32,
    /// The first wait between attempts; each later wait doubles.
    pub backoff: Duration,
    /// The longest a whole download may take, retries included: a body that trickles in
    /// never outlasts it.
    pub deadline: Duration,
    /// Largest download accepted.
    pub max_bytes: u64,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            base_url: catalogue::CMS_BASE_URL.to_string(),
            url: None,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(500),
            deadline: DEFAULT_DEADLINE,
            max_bytes: 100 * 1024 * 1024,
            progress: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("release {release} is not posted (404 from {})", tried.join(", "))]
    NotPosted {
        release: ReleaseId,
        tried: Vec<String>,
    },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: HTTP {status} redirects to {target}, not followed (only http and https are)")]
    Redirect {
        url: String,
        status: u16,
        target: String,
    },
    /// A webhook's POST answered with a redirect, which is not followed; `known` says whether
    /// the message may have been taken.
    #[error(
        "{url}: HTTP {status} redirects to {target}, not followed: a webhook is posted only to \
         the address given (give --notify the one named); {known}"
    )]
    PostRedirected {
        url: String,
        status: u16,
        target: String,
        known: String,
    },
    #[error("{url}: {attempts} attempt(s) failed; last: {message}")]
    Network {
        url: String,
        attempts: u32,
        message: String,
    },
    /// A webhook's POST that may have arrived. `check` stores nothing after it (exit 2), so the
    /// next run, which does the whole job again, posts the message again.
    #[error(
        "{url}: {what}; the message may have been delivered, so this run does not send it again \
         and stores nothing: the next run posts it again, and a chat may then show it twice"
    )]
    MaybeDelivered { url: String, what: String },
    #[error("{url}: not complete after {secs} s (--deadline)")]
    Deadline { url: String, secs: u64 },
    #[error("{url}: larger than the {limit}-byte limit")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: not a zip ({what}); a server error page answered with status 200?")]
    NotAZip { url: String, what: String },
    #[error(
        "{url}: not a zip: the body came with Content-Encoding: {encoding} (Content-Type: \
         {content_type}), which this tool neither asks for nor unpacks"
    )]
    Encoded {
        url: String,
        encoding: String,
        content_type: String,
    },
    #[error("{path}: is {what}, not a zip file")]
    NotAFile { path: String, what: &'static str },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{url}: the URL names no file to keep the zip as (its last segment is empty)")]
    NoFileName { url: String },
    #[error("cannot set up HTTP: {0}")]
    Client(String),
}

/// Why an attempt at a download failed.
enum Failed {
    /// Worth another attempt: the body was cut off.
    Retry(Cut),
    /// Not worth another: the answer is wrong, or a limit was passed.
    Final(FetchError),
}

impl From<FetchError> for Failed {
    fn from(e: FetchError) -> Self {
        Failed::Final(e)
    }
}

/// How a body was cut off.
#[derive(Debug, thiserror::Error)]
enum Cut {
    #[error("connection broke after {bytes} bytes: {reason}")]
    Broke { bytes: usize, reason: String },
    #[error("body ended after {got} of {expected} bytes")]
    Short { got: usize, expected: u64 },
}

/// A completed download, not yet kept anywhere but a temporary file.
pub struct Download {
    pub url: String,
    /// The last path segment of the URL: the name CMS gave the zip.
    pub file_name: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
    /// What the server said to ask again with (none from a local folder).
    pub validators: Validators,
    file: tempfile::NamedTempFile,
}

/// HTTP validators a server gave with a zip (`ETag`, `Last-Modified`), sent back
/// (`If-None-Match`, `If-Modified-Since`) to ask whether the zip changed since.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// What is kept beside a zip in `downloads/` as `<zip>.posting.json`: where it came from, its
/// SHA-256, the SHA-256 of the release records read from it (a snapshot's `records_sha256`),
/// and the server's validators.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Posting {
    pub url: String,
    pub sha256: String,
    pub records_sha256: String,
    #[serde(flatten)]
    pub validators: Validators,
}

impl Posting {
    /// The posting kept beside the zip `file_name` in `dir`, if there is one that reads.
    pub fn kept(dir: &Path, file_name: &str) -> Option<Posting> {
        let bytes = std::fs::read(dir.join(format!("{file_name}.posting.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// What asking for a release again found.
pub enum Refetched {
    /// The zip, downloaded (changed or not: the caller compares).
    Downloaded(Download),
    /// The server answered 304 to the validators given for this URL.
    NotModified { url: String },
}

impl Download {
    /// Keeps the zip as `<dir>/<file_name>` with `<file_name>.sha256` beside it, then
    /// `<file_name>.posting.json` (see `Posting`; `records_sha256` is what the caller read
    /// from the zip).
    pub fn keep_in(self, dir: &Path, records_sha256: &str) -> Result<PathBuf, FetchError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| FetchError::Io { path, source }
        };
        let path = dir.join(&self.file_name);
        // Temporary files are private (0600); a kept zip is an ordinary file, like a snapshot.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.file
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(io(&path))?;
        }
        self.file.persist(&path).map_err(|e| FetchError::Io {
            path: path.display().to_string(),
            source: e.error,
        })?;
        let sum = dir.join(format!("{}.sha256", self.file_name));
        crate::fs::write_atomically(
            &sum,
            format!("{}  {}\n", self.sha256, self.file_name).as_bytes(),
        )
        .map_err(io(&sum))?;
        let posting = Posting {
            url: self.url,
            sha256: self.sha256,
            records_sha256: records_sha256.to_string(),
            validators: self.validators,
        };
        let note = dir.join(format!("{}.posting.json", self.file_name));
        let mut json = serde_json::to_vec_pretty(&posting).map_err(|e| FetchError::Io {
            path: note.display().to_string(),
            source: e.into(),
        })?;
        json.push(b'\n');
        crate::fs::write_atomically(&note, &json).map_err(io(&note))?;
        Ok(path)
    }
}

/// The longest wait the library honours for any timeout or deadline: a year. Past it the clock's
/// arithmetic (an instant plus a duration) could overflow; the command line bounds them far
/// lower.
const LONGEST_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// The instant `wait` from now, a wait longer than `LONGEST_WAIT` taken as that.
fn after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(LONGEST_WAIT)).unwrap_or(now)
}

fn client(options: &FetchOptions) -> Result<reqwest::blocking::Client, FetchError> {
    // A redirect to another scheme (`file://`, `ftp://`) is not followed but answered as it
    // came, so that `get` can name where it pointed.
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if !matches!(attempt.url().scheme(), "http" | "https") {
            attempt.stop()
        } else if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    });
    client_with(options, redirects)
}

fn client_with(
    options: &FetchOptions,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::blocking::Client, FetchError> {
    let timeout = options.timeout.min(LONGEST_WAIT);
    reqwest::blocking::Client::builder()
        .redirect(redirects)
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("hcpcs-diff/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Client(e.to_string()))
}

/// What one GET found.
enum Answer {
    /// 404: not posted here.
    Missing,
    /// 304: unchanged since the validators sent.
    NotModified,
    Body(Download),
}

/// The request for `url`, asking for a 304 if `validators` still hold (a value that cannot be
/// a header is not sent).
fn request(
    client: &reqwest::blocking::Client,
    url: &str,
    validators: Option<&Validators>,
) -> reqwest::blocking::RequestBuilder {
    use reqwest::header::{HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};
    let mut request = client.get(url);
    let Some(v) = validators else {
        return request;
    };
    for (name, value) in [
        (IF_NONE_MATCH, &v.etag),
        (IF_MODIFIED_SINCE, &v.last_modified),
    ] {
        if let Some(value) = value.as_deref().and_then(|s| HeaderValue::from_str(s).ok()) {
            request = request.header(name, value);
        }
    }
    request
}

/// The attempts at one request: the first at once, then up to `retries` more, each after a wait
/// that doubles from `backoff`; none past the deadline, which bounds them all.
struct Attempts {
    made: u32,
    wait: Duration,
    until: Instant,
}

impl Attempts {
    fn new(options: &FetchOptions) -> Self {
        Attempts {
            made: 0,
            wait: options.backoff,
            until: after(options.deadline),
        }
    }

    /// Waits for the next attempt: `false` when all were made, an error past the deadline.
    fn next(&mut self, url: &str, options: &FetchOptions) -> Result<bool, FetchError> {
        if self.made > options.retries {
            return Ok(false);
        }
        if self.made > 0 {
            // Never sleep past the deadline.
            let left = self.until.saturating_duration_since(Instant::now());
            std::thread::sleep(self.wait.min(left));
            self.wait = self.wait.saturating_mul(2);
        }
        self.made += 1;
        if Instant::now() >= self.until {
            return Err(past_deadline(url, options));
        }
        Ok(true)
    }

    /// The error once every attempt failed, `last` saying how the last one did.
    fn failed(&self, url: &str, last: String) -> FetchError {
        FetchError::Network {
            url: url.to_string(),
            attempts: self.made,
            message: last,
        }
    }
}

/// One GET, retried on 5xx and connection errors.
fn get(
    client: &reqwest::blocking::Client,
    url: &str,
    options: &FetchOptions,
    temp_dir: &Path,
    validators: Option<&Validators>,
) -> Result<Answer, FetchError> {
    let mut attempts = Attempts::new(options);
    let mut last = String::new();
    while attempts.next(url, options)? {
        let response = match request(client, url, validators).send() {
            Ok(r) => r,
            Err(e) => {
                last = error_chain(&e);
                continue;
            }
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(Answer::Missing);
        }
        if status == reqwest::StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Answer::NotModified);
        }
        if status.is_server_error() {
            last = format!("HTTP {}", status.as_u16());
            continue;
        }
        // A redirect the client followed is not seen here: one it did not follow pointed to
        // another scheme (`file://`), and saying where is what helps.
        if status.is_redirection()
            && let Some(target) = header_text(response.headers(), reqwest::header::LOCATION)
        {
            return Err(FetchError::Redirect {
                url: url.to_string(),
                status: status.as_u16(),
                target,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        match receive(response, url, options, temp_dir, attempts.until) {
            Ok(download) => return Ok(Answer::Body(download)),
            Err(Failed::Retry(cut)) => last = cut.to_string(),
            Err(Failed::Final(e)) => return Err(e),
        }
    }
    Err(attempts.failed(url, last))
}

/// A download of `len` bytes so far may go on: under the size cap and the deadline.
fn within_limits(
    len: u64,
    url: &str,
    options: &FetchOptions,
    until: Instant,
) -> Result<(), FetchError> {
    if Instant::now() >= until {
        return Err(past_deadline(url, options));
    }
    if len > options.max_bytes {
        return Err(FetchError::TooLarge {
            url: url.to_string(),
            limit: options.max_bytes,
        });
    }
    Ok(())
}

fn past_deadline(url: &str, options: &FetchOptions) -> FetchError {
    FetchError::Deadline {
        url: url.to_string(),
        secs: options.deadline.as_secs(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Streams the body into a temporary file in `temp_dir`. A body cut off may be retried.
fn receive(
    response: reqwest::blocking::Response,
    url: &str,
    options: &FetchOptions,
    temp_dir: &Path,
    until: Instant,
) -> Result<Download, Failed> {
    let len = response.content_length();
    let header = |name: reqwest::header::HeaderName| {
        let value = response.headers().get(name)?.to_str().ok()?;
        Some(value.to_string())
    };
    let validators = Validators {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
    };
    let served = Served {
        content_encoding: header_text(response.headers(), reqwest::header::CONTENT_ENCODING),
        content_type: header_text(response.headers(), reqwest::header::CONTENT_TYPE),
    };
    let download = receive_from(
        Box::new(response),
        len,
        url,
        &served,
        options,
        temp_dir,
        until,
    )?;
    Ok(Download {
        validators,
        ..download
    })
}

/// What a server said of the body it sent, for the message when it is not a zip.
#[derive(Default)]
struct Served {
    content_encoding: Option<String>,
    content_type: Option<String>,
}

/// A header's value for a message: printable characters only, at most 200 of them.
fn header_text(
    headers: &reqwest::header::HeaderMap,
    name: reqwest::header::HeaderName,
) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    Some(text.chars().filter(|c| !c.is_control()).take(200).collect())
}

fn receive_from(
    mut response: Box<dyn Read>,
    content_length: Option<u64>,
    url: &str,
    served: &Served,
    options: &FetchOptions,
    temp_dir: &Path,
    until: Instant,
) -> Result<Download, Failed> {
    let io = |source| FetchError::Io {
        path: temp_dir.display().to_string(),
        source,
    };
    if content_length.is_some_and(|n| n > options.max_bytes) {
        return Err(Failed::Final(FetchError::TooLarge {
            url: url.to_string(),
            limit: options.max_bytes,
        }));
    }
    std::fs::create_dir_all(temp_dir).map_err(io)?;
    let mut file = tempfile::Builder::new()
        .prefix(".download-")
        .tempfile_in(temp_dir)
        .map_err(io)?;
    let bar = progress_bar(options.progress, content_length, url);
    let mut hasher = Sha256::new();
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(Failed::Retry(Cut::Broke {
                    bytes: bytes.len(),
                    reason: error_chain(&e),
                }));
            }
        };
        within_limits((bytes.len() + n) as u64, url, options, until)?;
        hasher.update(&buf[..n]);
        bytes.extend_from_slice(&buf[..n]);
        file.write_all(&buf[..n]).map_err(io)?;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    if let Some(expected) = content_length
        && expected != bytes.len() as u64
    {
        return Err(Failed::Retry(Cut::Short {
            got: bytes.len(),
            expected,
        }));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        let content_type = served.content_type.clone();
        if let Some(encoding) = &served.content_encoding
            && !encoding.eq_ignore_ascii_case("identity")
        {
            return Err(Failed::Final(FetchError::Encoded {
                url: url.to_string(),
                encoding: encoding.clone(),
                content_type: content_type.unwrap_or_else(|| "none given".to_string()),
            }));
        }
        let mut what = what_it_is(&bytes);
        if let Some(content_type) = content_type {
            what.push_str(&format!(", Content-Type: {content_type}"));
        }
        return Err(Failed::Final(FetchError::NotAZip {
            url: url.to_string(),
            what,
        }));
    }
    file.as_file().sync_all().map_err(io)?;
    Ok(Download {
        url: url.to_string(),
        file_name: zip_name(url).to_string(),
        sha256: crate::model::hex(&hasher.finalize()),
        bytes,
        validators: Validators::default(),
        file,
    })
}

/// The last path segment of `url`, without a query: the name CMS gave the zip.
pub fn zip_name(url: &str) -> &str {
    url.rsplit('/')
        .next()
        .unwrap_or("release.zip")
        .split('?')
        .next()
        .unwrap_or("release.zip")
}

/// A progress bar on a terminal, else a hidden one.
fn progress_bar(shown: bool, len: Option<u64>, url: &str) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len.unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .expect("template is valid"),
    );
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    bar
}

/// What a body that is not a zip looks like, for the error message.
fn what_it_is(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        .trim()
        .replace('\n', " ");
    let lower = head.to_ascii_lowercase();
    if lower.contains("<html") || lower.contains("<!doctype") {
        "an HTML page".to_string()
    } else {
        format!("starts {head:?}")
    }
}

/// Downloads `release`: the `--url` if given, else each of the catalogue's URLs in turn until
/// one is posted. Temporary files go to `temp_dir`.
pub fn fetch(
    release: ReleaseId,
    options: &FetchOptions,
    temp_dir: &Path,
) -> Result<Download, FetchError> {
    match refetch(release, options, temp_dir, &|_| None)? {
        Refetched::Downloaded(download) => Ok(download),
        // Only validators make a server answer 304.
        Refetched::NotModified { url } => Err(FetchError::Status { url, status: 304 }),
    }
}

/// Downloads `release` again, as `fetch` does, sending the validators `validators(url)` gives
/// for a URL so that a server whose zip there has not changed answers 304 instead.
pub fn refetch(
    release: ReleaseId,
    options: &FetchOptions,
    temp_dir: &Path,
    validators: &dyn Fn(&str) -> Option<Validators>,
) -> Result<Refetched, FetchError> {
    if options.url.is_none() && !options.base_url.contains("://") {
        let download = from_folder(release, Path::new(&options.base_url), options, temp_dir)?;
        return Ok(Refetched::Downloaded(download));
    }
    if let Some(url) = &options.url
        && matches!(zip_name(url), "" | "." | "..")
    {
        return Err(FetchError::NoFileName { url: url.clone() });
    }
    let client = client(options)?;
    let urls = match &options.url {
        Some(url) => vec![url.clone()],
        None => {
            let landing = catalogue::landing_page(&options.base_url);
            let page = get_text(&client, &landing, options).unwrap_or_default();
            catalogue::urls(&options.base_url, &page, release)
        }
    };
    for url in &urls {
        let sent = validators(url).filter(|v| !v.is_empty());
        match get(&client, url, options, temp_dir, sent.as_ref())? {
            Answer::Missing => {}
            Answer::NotModified => return Ok(Refetched::NotModified { url: url.clone() }),
            Answer::Body(download) => return Ok(Refetched::Downloaded(download)),
        }
    }
    Err(FetchError::NotPosted {
        release,
        tried: urls,
    })
}

/// A local mirror: a folder of zips named as CMS names them (any of the catalogue's names).
fn from_folder(
    release: ReleaseId,
    dir: &Path,
    options: &FetchOptions,
    temp_dir: &Path,
) -> Result<Download, FetchError> {
    let urls = catalogue::urls("", "", release);
    let names: Vec<&str> = urls
        .iter()
        .map(|u| u.rsplit('/').next().unwrap_or(u))
        .collect();
    let mut found = None;
    for path in names.iter().map(|n| dir.join(n)) {
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                let path = path.display().to_string();
                return Err(FetchError::Io { path, source });
            }
        };
        // A FIFO would block the reader, a folder is no zip: either is a mistake in the
        // mirror to name, not a release CMS has not posted.
        let what = if meta.is_dir() {
            Some("a folder")
        } else {
            crate::error::irregular(&meta)
        };
        if let Some(what) = what {
            let path = path.display().to_string();
            return Err(FetchError::NotAFile { path, what });
        }
        found = Some(path);
        break;
    }
    let Some(path) = found else {
        let tried = names
            .iter()
            .map(|n| dir.join(n).display().to_string())
            .collect();
        return Err(FetchError::NotPosted { release, tried });
    };
    let url = path.display().to_string();
    let file = std::fs::File::open(&path).map_err(|source| FetchError::Io {
        path: url.clone(),
        source,
    })?;
    let len = file.metadata().map(|m| m.len()).ok();
    let until = after(options.deadline);
    let served = Served::default();
    match receive_from(Box::new(file), len, &url, &served, options, temp_dir, until) {
        Ok(download) => Ok(download),
        Err(Failed::Retry(cut)) => Err(FetchError::Network {
            url,
            attempts: 1,
            message: cut.to_string(),
        }),
        Err(Failed::Final(e)) => Err(e),
    }
}

/// The landing page's HTML, if it answers; its absence only means falling back to the table.
/// It is read like a download: at most `max_bytes`, and not past the deadline.
fn get_text(
    client: &reqwest::blocking::Client,
    url: &str,
    options: &FetchOptions,
) -> Option<String> {
    let mut response = client.get(url).send().ok()?;
    if !response.status().is_success() {
        return None;
    }
    let until = after(options.deadline);
    let mut page = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) if Instant::now() < until && (page.len() + n) as u64 <= options.max_bytes => {
                page.extend_from_slice(&buf[..n]);
            }
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&page).into_owned())
}

/// POSTs `body` (of `content_type`) to `url` (a webhook). A message is posted once: it is sent
/// again only when it certainly did not arrive (the connection could not be made) or the server
/// said so (a 5xx but a gateway's 502 or 504, or a 429 answer), `retries` times with a doubling
/// wait, within the deadline. A request that was sent and then failed (no answer within the
/// timeout, a connection broken mid-answer, a gateway's 502 or 504) is an error at once, saying
/// the message may have been delivered: sending it again could post it twice. A redirect is
/// not followed but an error naming where it points. Any other answer but 2xx is an error at
/// once. "Once" holds for this call only: a caller that fails after it (as `check` does,
/// storing nothing) and runs again posts again.
pub fn post(
    url: &str,
    content_type: &str,
    body: Vec<u8>,
    options: &FetchOptions,
) -> Result<(), FetchError> {
    // No redirect is followed: a 301, 302 or 303 would be followed as a GET without the
    // message (and a page answering it taken for delivery), a 307 or 308 would post the message
    // to an address the user never gave, and a loop of them would post it again at each step.
    let client = client_with(options, reqwest::redirect::Policy::none())?;
    let mut attempts = Attempts::new(options);
    let mut last = String::new();
    while attempts.next(url, options)? {
        let sent = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone())
            .send();
        let status = match sent {
            // The redirects (a 300, 304 or 305 is another answer, refused below).
            Ok(response) if matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) => {
                let status = response.status().as_u16();
                let target = header_text(response.headers(), reqwest::header::LOCATION)
                    .unwrap_or_else(|| "nowhere (no Location)".to_string());
                return Err(FetchError::PostRedirected {
                    url: url.to_string(),
                    status,
                    target,
                    known: if matches!(status, 301 | 307 | 308) {
                        format!(
                            "a {status} says the message was not taken here, and it was sent nowhere else"
                        )
                    } else {
                        // A form's handler answers a POST it took with 302 or 303.
                        format!(
                            "a {status} may answer a message the server took, so it may have been delivered"
                        )
                    },
                });
            }
            Ok(response) => response.status(),
            Err(e) if e.is_connect() => {
                last = error_chain(&e);
                continue;
            }
            Err(e) => {
                return Err(FetchError::MaybeDelivered {
                    url: url.to_string(),
                    what: format!("sent, but no answer came ({})", error_chain(&e)),
                });
            }
        };
        if status.is_success() {
            return Ok(());
        }
        // A gateway's 502 or 504 (and a CDN's 520-524, Cloudflare's for the same) says the
        // server behind it answered badly or not in time, not that it did not take the
        // message: it may have, and a second POST could show twice.
        if matches!(status.as_u16(), 502 | 504 | 520..=524) {
            return Err(FetchError::MaybeDelivered {
                url: url.to_string(),
                what: format!(
                    "HTTP {} from a gateway, which cannot know whether the server behind it took \
                     the message",
                    status.as_u16()
                ),
            });
        }
        if !status.is_server_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        last = format!("HTTP {}", status.as_u16());
    }
    Err(attempts.failed(url, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits too long for the clock's arithmetic (an instant plus 2^64 s) end as the shorter
    /// wait they mean, not in a panic.
    #[test]
    fn a_wait_past_the_clocks_range_does_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let options = FetchOptions {
            base_url: "http://127.0.0.1:9".to_string(),
            timeout: Duration::MAX,
            deadline: Duration::MAX,
            backoff: Duration::MAX,
            retries: 0,
            ..FetchOptions::default()
        };
        let release = ReleaseId {
            year: 2020,
            month: 4,
        };
        // Nothing listens on port 9: a connection error, after the deadline was set.
        let err = fetch(release, &options, dir.path()).err().unwrap();
        assert!(matches!(err, FetchError::Network { .. }), "{err}");
        // A mirror folder: the zip is read under the same deadline.
        let mirror = dir.path().join("mirror");
        std::fs::create_dir(&mirror).unwrap();
        std::fs::write(
            mirror.join("april-2020-alpha-numeric-hcpcs-file.zip"),
            b"PK\x03\x04 not really",
        )
        .unwrap();
        let options = FetchOptions {
            base_url: mirror.display().to_string(),
            ..options
        };
        let download = fetch(release, &options, &dir.path().join("tmp")).unwrap();
        assert_eq!(
            download.file_name,
            "april-2020-alpha-numeric-hcpcs-file.zip"
        );
    }
}
