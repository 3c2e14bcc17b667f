//! Errors and warnings that name where in the input they come from: the file, the line (or
//! sheet and row) and the field. Callers branch on these; orchestration wraps them with anyhow.

use std::fmt;

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A line of a text file (1-based).
    Line(usize),
    /// A row of a workbook sheet (1-based, as a spreadsheet program numbers it).
    Cell { sheet: String, row: usize },
    /// A record of a CSV file (1-based line of the file).
    CsvLine(usize),
    /// The release id of the whole file, not a place in it.
    ReleaseId,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) | Location::CsvLine(n) => write!(f, "line {n}"),
            Location::Cell { sheet, row } => write!(f, "sheet '{sheet}' row {row}"),
            Location::ReleaseId => write!(f, "release id"),
        }
    }
}

/// What is wrong with a whole file, before any record is read.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("the file is empty")]
    Empty,
    #[error("cannot be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("this is an HTML page, not a CMS release (a download that returned an error page?)")]
    Html,
    #[error("not a readable zip archive ({0}); the download may be truncated or corrupt")]
    BadZip(String),
    #[error("no HCPCS release file in it (looked at: {0})")]
    NoRelease(String),
    #[error(
        "two release files with {count} records (lines or rows) each, {first} and {second}, and they differ: extract the one you mean and import it"
    )]
    TwoReleases {
        first: String,
        second: String,
        count: usize,
    },
    #[error("not a readable workbook ({0})")]
    BadWorkbook(String),
    #[error("not a corrections file CMS writes: {0}")]
    BadCorrections(String),
    #[error(
        "no sheet has the HCPCS header row (HCPC, RIC or RECID, LONG DESCRIPTION) (sheets: {0})"
    )]
    NoHeaderRow(String),
    #[error("no HCPCS records in it")]
    NoRecords,
    #[error(
        "{what} unpacks to more than {limit} bytes (--max-unpacked-mb): not a release, or a zip bomb"
    )]
    TooLarge { what: String, limit: u64 },
    #[error("is {0}, not a regular file or folder")]
    NotRegular(&'static str),
    #[error("not a CMS release file: neither fixed-width records, a workbook, a zip nor CSV")]
    Unrecognized,
    #[error(
        "its records cannot be kept in a temporary file ({0}): make room in the temporary folder, or name another with TMPDIR"
    )]
    Spool(std::io::Error),
}

/// An input that cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: {problem}")]
    File { file: String, problem: FileProblem },
    #[error("{file}: {at}: {field}: {problem}")]
    Field {
        file: String,
        at: Location,
        field: &'static str,
        problem: String,
    },
    #[error("{file}: {at}: {problem}")]
    Record {
        file: String,
        at: Location,
        problem: String,
    },
    #[error("{file}: {warning} (an error because of --strict)")]
    Strict { file: String, warning: Warning },
}

/// What `meta` is when it is neither a regular file nor a folder (a FIFO would block a
/// reader, a device never ends, a socket cannot be opened), else `None`.
pub fn irregular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() || kind.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

impl ReadError {
    pub fn file(file: &str, problem: impl Into<FileProblem>) -> Self {
        ReadError::File {
            file: file.to_string(),
            problem: problem.into(),
        }
    }
}

/// A defect that was repaired without guessing; the import goes on (unless `--strict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub at: Location,
    pub field: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{}: {field}: {}", self.at, self.message),
            None => write!(f, "{}: {}", self.at, self.message),
        }
    }
}
