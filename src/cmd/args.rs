//! Argument groups and value lists that several commands share, and their conversion into the
//! library's options.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::ValueEnum;

use hcpcs_diff::diff::watch::{Entry, Origin, WatchError};
use hcpcs_diff::diff::{self, Change, CodeRange, Filter};
use hcpcs_diff::fetch::FetchOptions;
use hcpcs_diff::model::Kind;
use hcpcs_diff::read::list::ListFile;
use hcpcs_diff::report::Format;

/// Where releases are downloaded from, and how patiently.
#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Where CMS's paths hang from: a mirror's URL, or a local folder of zips named as CMS names them.
    #[arg(long, env = "HCPCS_DIFF_BASE_URL", default_value = hcpcs_diff::fetch::catalogue::CMS_BASE_URL)]
    base_url: String,
    /// Seconds to wait for a connection or for any read (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT))]
    timeout: u64,
    /// Seconds a whole download may take, retries included (a body that trickles in ends; 1 to
    /// 86400).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=MAX_DEADLINE))]
    deadline: u64,
    /// Further attempts after a 5xx answer, a connection error or a timeout (never after 404;
    /// at most 100). A webhook's POST is sent again only after a 429 or a 5xx answer (not a
    /// gateway's 502, 504 or 520-524) or a connection that could not be made: never by this
    /// run when it may have arrived (the next run, which stores what this one could not,
    /// posts it again).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=MAX_RETRIES))]
    retries: u32,
    /// Largest download accepted, in megabytes (1 to 102400).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_MB))]
    max_mb: u64,
}

// Bounds on the network options: past them a value is a typo, not a wish, and a wait that long
// would not fit the clock's arithmetic (an hour per read, a day per download, 100 GB).
const MAX_TIMEOUT: u64 = 3600;
const MAX_DEADLINE: u64 = 86_400;
const MAX_RETRIES: i64 = 100;
const MAX_MB: u64 = 100 * 1024;

impl NetworkArgs {
    pub fn options(self, url: Option<String>) -> FetchOptions {
        FetchOptions {
            base_url: self.base_url,
            url,
            timeout: Duration::from_secs(self.timeout),
            retries: self.retries,
            deadline: Duration::from_secs(self.deadline),
            max_bytes: self.max_mb * 1024 * 1024,
            progress: std::io::stderr().is_terminal(),
            ..FetchOptions::default()
        }
    }
}

/// Which codes a report covers; several options add up.
#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// Only this code (repeatable).
    #[arg(long = "code", value_name = "CODE")]
    codes: Vec<String>,
    /// Only codes starting with this (repeatable), e.g. E or E04.
    #[arg(long = "prefix", value_name = "PREFIX")]
    prefixes: Vec<String>,
    /// Only codes of these sections of HCPCS Level II, comma-separated (repeatable): a letter
    /// (E), a range (A0021-A0999), a name ("durable medical equipment") or "modifiers".
    #[arg(long = "section", value_name = "SECTION", value_delimiter = ',')]
    sections: Vec<String>,
    /// Only codes in this range (repeatable), e.g. E0424-E1406.
    #[arg(long = "range", value_name = "FIRST-LAST")]
    ranges: Vec<CodeRange>,
    /// Only codes listed in FILE: one code or range per line, # comments.
    #[arg(long, value_name = "FILE")]
    watch: Option<PathBuf>,
    /// Only procedure codes or only modifiers.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
}

impl FilterArgs {
    /// The watch file given, if any: a file the command reads.
    pub fn watch_file(&self) -> Option<&std::path::Path> {
        self.watch.as_deref()
    }

    pub fn into_filter(self, only: Vec<ChangeArg>, hide_cosmetic: bool) -> Result<Filter> {
        let mut named = Vec::new();
        let mut problems = Vec::new();
        for code in &upper(&self.codes) {
            match code.parse::<CodeRange>() {
                Ok(range) if range.first == range.last => named.push(Entry {
                    range,
                    origin: Origin::Code,
                }),
                Ok(_) => problems.push(format!(
                    "--code {}: a code, not a range (--range)",
                    hcpcs_diff::read::list::shown(code)
                )),
                Err(problem) => problems.push(format!("--code: {problem}")),
            }
        }
        if self.prefixes.iter().any(|p| p.trim().is_empty()) {
            problems.push(
                "--prefix '': an empty prefix would match every code; leave --prefix out for every code"
                    .to_string(),
            );
        }
        named.extend(self.ranges.into_iter().map(|range| Entry {
            range,
            origin: Origin::Range,
        }));
        let mut watch = None;
        if let Some(path) = &self.watch {
            let name = path.display().to_string();
            let list = ListFile::open(&name, path).map_err(hcpcs_diff::Error::from)?;
            match diff::watch::read(&list) {
                Ok(entries) => {
                    watch = Some(diff::context::WatchFile {
                        file: path.display().to_string(),
                        entries: entries.len(),
                    });
                    named.extend(entries);
                }
                Err(e) => problems.extend(e.problems),
            }
        }
        let mut sections = Vec::new();
        for given in &self.sections {
            match hcpcs_diff::model::sections::named(given) {
                Ok(found) => sections.extend(found),
                Err(e) => problems.push(e.to_string()),
            }
        }
        sections.sort_by_key(|s| s.index());
        sections.dedup();
        if !problems.is_empty() {
            return Err(hcpcs_diff::Error::from(WatchError { problems }).into());
        }
        Ok(Filter {
            named,
            prefixes: upper(&self.prefixes),
            sections,
            kind: self.kind.map(|k| match k {
                KindArg::Procedure => Kind::Procedure,
                KindArg::Modifier => Kind::Modifier,
            }),
            only: only.into_iter().map(Change::from).collect(),
            hide_cosmetic,
            watch,
        })
    }
}

fn upper(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|c| c.trim().to_ascii_uppercase())
        .collect()
}

/// `--excel` is for the CSV format only: anywhere else it is a mistake, said at once.
pub fn check_excel(excel: bool, format: FormatArg) -> Result<()> {
    anyhow::ensure!(
        !excel || matches!(format, FormatArg::Csv),
        "--excel writes a byte-order mark for Excel at the start of a CSV report: use it with --format csv"
    );
    Ok(())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Markdown,
    Json,
    Csv,
    Html,
    /// An Excel workbook (diff and check only).
    Xlsx,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Html => Format::Html,
            FormatArg::Xlsx => Format::Xlsx,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Procedure,
    Modifier,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChangeArg {
    Added,
    Retired,
    Dropped,
    Reinstated,
    Changed,
}

impl From<ChangeArg> for Change {
    fn from(c: ChangeArg) -> Self {
        match c {
            ChangeArg::Added => Change::Added,
            ChangeArg::Retired => Change::Retired,
            ChangeArg::Dropped => Change::Dropped,
            ChangeArg::Reinstated => Change::Reinstated,
            ChangeArg::Changed => Change::Changed,
        }
    }
}

/// A value given on the command line that is not what its option takes.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error("'{0}' is not an RFC 3339 time like 2026-01-02T03:04:05Z: {1}")]
    Time(String, chrono::ParseError),
    #[error("'{0}' is not a date (YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD)")]
    Date(String),
    #[error("'{0}' is not a web address to post to (http:// or https://, then a host): {1}")]
    Url(String, String),
}

/// `--notify URL`: an http or https address with a host, checked before anything is fetched
/// (a typo found only when the webhook is due would cost the whole run).
pub fn web_url(s: &str) -> std::result::Result<String, ValueError> {
    let bad = |why: String| ValueError::Url(s.to_string(), why);
    let url = reqwest::Url::parse(s.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!("the scheme is {}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host".to_string()));
    }
    Ok(s.trim().to_string())
}

/// `--generated-at TIME`: an RFC 3339 time, as reports write it (`2026-01-02T03:04:05Z`).
pub fn generated_at(s: &str) -> std::result::Result<String, ValueError> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .map_err(|e| ValueError::Time(s.to_string(), e))
}

/// When a report is made: `given` (`--generated-at`), or now.
pub fn made_at(given: Option<String>) -> String {
    given.unwrap_or_else(|| chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}
