//! hcpcs-diff: reads CMS HCPCS Level II releases in every form CMS has shipped, stores each as a
//! normalized snapshot, and says what changed between releases.
//!
//! The flow runs one way, a folder for each step:
//!
//! | step | folder | in → out |
//! |---|---|---|
//! | find the release file | `source/` (and `fetch/` for downloads) | a zip, folder or file → bytes and their form |
//! | read | `read/` | bytes → rows by CMS's layout (`read/layout.rs`) |
//! | normalize | `normalize/` | rows → typed `model::Record`s in a `model::Snapshot` |
//! | keep | `store/` | `Snapshot` ⇄ `<store>/YYYY-MM.jsonl` |
//! | diff | `diff/` | two `Snapshot`s → a `diff::Changeset` (and a code's history) |
//! | audit | `audit/` | a supplier's codes and the stored `Snapshot`s → an `audit::Audit` |
//! | report | `report/` | a `Changeset` → text, markdown, JSON, CSV or HTML; snapshots → CSV, FHIR, SQLite |
//!
//! `model/` is below them all: the record, release ids, CMS's code tables and the `Snapshot`
//! that every step passes on; no step imports a later one, and none but the store knows where
//! snapshots are kept. `fs` writes files atomically; `check` strings the steps together for
//! `fetch` and the cron job. The command line (`src/cli.rs`, one file per command in
//! `src/cmd/`) is the binary's, not the library's.

pub mod audit;
pub mod check;
pub mod diff;
pub mod error;
pub mod exit;
pub mod fetch;
pub mod fs;
pub mod model;
pub mod normalize;
pub mod par;
pub mod read;
pub mod report;
pub mod site;
pub mod source;
pub mod store;

use std::path::Path;

use error::{ReadError, Warning};
use model::ReleaseId;
use model::Snapshot;
use store::StoreError;

/// Anything that stops a command; every one of them exits with status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Watch(#[from] diff::watch::WatchError),
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error(transparent)]
    Audit(#[from] audit::InputError),
    #[error(transparent)]
    List(#[from] read::list::ListError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: cannot tell which release this is from its name or content: give --release YYYY-MM"
    )]
    UnknownRelease { file: String },
    #[error(
        "{file}: {said} release {release}, but {problem}: give --release YYYY-MM if that is right"
    )]
    DoubtfulRelease {
        file: String,
        /// "its name says" or "its records say".
        said: &'static str,
        release: ReleaseId,
        problem: String,
    },
    #[error("OLD ({old}) is newer than NEW ({new}); swap them")]
    Order { old: ReleaseId, new: ReleaseId },
}

/// How the release id of an import was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseFrom {
    Given,
    Name(String),
    Content,
}

/// A release file read into a snapshot (by `load_path_to_store`, a `ToStore`), not yet stored.
#[derive(Debug)]
pub struct Loaded<S = Snapshot> {
    pub snapshot: S,
    pub warnings: Vec<Warning>,
    pub release_from: ReleaseFrom,
    /// The corrections files found beside the release in its zip or folder, read; or why one
    /// could not be (the caller decides whether the release goes on without them).
    pub corrections: Result<Vec<model::correction::CorrectionsFile>, Error>,
}

/// A snapshot read to be stored: held whole, or with its records kept on disk as they were
/// typed (a loose text's, `normalize::spool`), to be written in code order as the snapshot file
/// is; either way the same file.
#[derive(Debug)]
pub enum ToStore {
    Held(Snapshot),
    /// Held, its record lines written once (`model::LinedSnapshot`).
    Lined(model::LinedSnapshot),
    Spooled(normalize::spool::Spooled),
}

impl ToStore {
    pub fn provenance(&self) -> &model::Provenance {
        model::SnapshotLines::provenance(self)
    }

    /// The last procedure code, in code order (a text cut short at a line end ends early:
    /// `import` compares it with the stored release before).
    pub fn last_procedure(&self) -> Option<&str> {
        fn last_of(records: &[model::Record]) -> Option<&str> {
            let last = records
                .iter()
                .rev()
                .find(|r| r.kind == model::Kind::Procedure);
            last.map(|r| r.code.as_str())
        }
        match self {
            ToStore::Held(snapshot) => last_of(&snapshot.records),
            ToStore::Lined(lined) => last_of(&lined.snapshot.records),
            ToStore::Spooled(spooled) => spooled.last_procedure(),
        }
    }

    /// The snapshot held whole (its records read back, if they were kept on disk).
    pub fn into_snapshot(self) -> Result<Snapshot, Error> {
        match self {
            ToStore::Held(snapshot) => Ok(snapshot),
            ToStore::Lined(lined) => Ok(lined.snapshot),
            ToStore::Spooled(spooled) => {
                let file = model::SnapshotLines::provenance(&spooled).source.display();
                spooled
                    .into_snapshot()
                    .map_err(|e| ReadError::file(&file, error::FileProblem::Spool(e)).into())
            }
        }
    }
}

impl model::SnapshotLines for ToStore {
    fn provenance(&self) -> &model::Provenance {
        match self {
            ToStore::Held(snapshot) => &snapshot.provenance,
            ToStore::Lined(lined) => lined.provenance(),
            ToStore::Spooled(spooled) => spooled.provenance(),
        }
    }

    fn write_records(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            ToStore::Held(snapshot) => snapshot.write_records(out),
            ToStore::Lined(lined) => lined.write_records(out),
            ToStore::Spooled(spooled) => spooled.write_records(out),
        }
    }
}

impl Loaded<ToStore> {
    /// The snapshot held whole (`ToStore::into_snapshot`).
    fn held(self) -> Result<Loaded, Error> {
        Ok(Loaded {
            snapshot: self.snapshot.into_snapshot()?,
            warnings: self.warnings,
            release_from: self.release_from,
            corrections: self.corrections,
        })
    }
}

/// Options for reading a release file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// The release id; inferred from the file name or content when absent.
    pub release: Option<ReleaseId>,
    /// Any warning is an error.
    pub strict: bool,
    /// Today's date, as the command read the clock: a release later than the quarter after
    /// it is doubtful. `None` makes no such check.
    pub today: Option<chrono::NaiveDate>,
}

/// Reads the release at `path` (zip, folder, text, workbook or CSV) into a snapshot.
pub fn load_path(path: &Path, options: ReadOptions) -> Result<Loaded, Error> {
    match source::open(path)? {
        source::Opened::Text(text) => settle(loose_text(text, None)?, options)?.held(),
        source::Opened::File(file) => load_source(file, options),
    }
}

/// Reads the release at `path` as `load_path` does, to be stored: a loose text's records are
/// kept on disk as they are typed (`normalize::spool`), never all held, and written to the
/// store from there. Where no temporary file can be made, they are held, as `load_path` holds
/// them.
pub fn load_path_to_store(path: &Path, options: ReadOptions) -> Result<Loaded<ToStore>, Error> {
    match source::open(path)? {
        source::Opened::Text(text) => settle(
            loose_text(text, normalize::spool::Spool::new().ok())?,
            options,
        ),
        source::Opened::File(file) => settle(typed_source(file)?, options),
    }
}

/// A loose fixed-width text read a piece at a time and typed as it is read, never held whole,
/// its SHA-256 taken on a second thread meanwhile: what `load_source` makes of the same bytes,
/// in less memory and time (a text of hundreds of megabytes is no longer held as bytes, rows
/// and records at once).
/// With a `spool`, its records are kept there as they are typed.
fn loose_text(
    text: source::LooseText,
    spool: Option<normalize::spool::Spool>,
) -> Result<Typed, Error> {
    use std::io::Read as _;
    let source::LooseText {
        file: name,
        path,
        head,
        rest,
        size,
        encoding,
        skip,
    } = text;
    let reader = std::io::Cursor::new(head).chain(rest);
    let streamed = normalize::text_stream(&name, reader, size, encoding, skip, spool).map_err(
        |e| match e {
            read::text::StreamError::Io(e) => ReadError::file(&name, error::FileProblem::Io(e)),
            read::text::StreamError::TooLarge => ReadError::file(
                &name,
                error::FileProblem::TooLarge {
                    what: path.display().to_string(),
                    limit: read::max_unpacked(),
                },
            ),
            read::text::StreamError::Read(e) => e,
        },
    )?;
    Ok(Typed {
        info: model::SourceInfo {
            file: name.clone(),
            member: None,
            sha256: streamed.sha256,
        },
        name,
        member: None,
        records: streamed.records,
        warnings: streamed.warnings,
        damaged: streamed.damaged,
        companion: None,
        corrections: Ok(Vec::new()),
    })
}

/// Reads the corrections files at `path` (one corrections file, or a zip or folder of them):
/// each with its name, SHA-256, version and rows. (The corrections in a release's own zip or
/// folder come with the release: `Loaded::corrections`.)
pub fn load_corrections(path: &Path) -> Result<Vec<model::correction::CorrectionsFile>, Error> {
    read_corrections(source::corrections_files(path)?)
}

/// Reads corrections files (name and bytes, as `source` finds them): each with its name,
/// SHA-256, version and rows.
fn read_corrections(
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<model::correction::CorrectionsFile>, Error> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        let corrections = read::corrections::read(&name, &bytes)?;
        out.push(model::correction::CorrectionsFile {
            version: model::correction::version_from_name(&name),
            sha256: model::sha256_hex(&bytes),
            name,
            corrections,
        });
    }
    Ok(out)
}

/// What a release file says of its own date, and today's date, against which a release id is
/// weighed: a file named for 2099 cannot be a release yet, and a release given on the command
/// line that its file's name or records contradict is worth a word.
struct Doubts {
    /// The most recent quarter in which at least a few codes' actions take effect.
    content: Option<ReleaseId>,
    /// The latest action-effective or added date of any record.
    latest: Option<chrono::NaiveDate>,
    today: Option<chrono::NaiveDate>,
}

impl Doubts {
    /// Why `release` cannot be right: later than the quarter after today (CMS posts a release
    /// a few weeks before it takes effect, never a year).
    fn of(&self, release: ReleaseId) -> Option<String> {
        let today = self.today?;
        let this = ReleaseId::new(
            u16::try_from(chrono::Datelike::year(&today)).unwrap_or(u16::MAX),
            u8::try_from(chrono::Datelike::month(&today)).unwrap_or(12),
        )?;
        let (latest, content) = (
            self.latest.map_or_else(String::new, |d| {
                format!("; the latest date in its records is {d}")
            }),
            self.content.map_or_else(String::new, |c| {
                format!(", the most recent quarter its codes' actions take effect in is {c}")
            }),
        );
        (release > this.next_quarter()).then(|| {
            format!(
                "that is later than the quarter after today ({}, today being {today}){latest}{content}",
                this.next_quarter()
            )
        })
    }

    /// Why the release a file's name says cannot be right: it is from the future (`of`), or
    /// the file's own records take effect in a later quarter (a file named for 2019 holding
    /// 2020's actions), which no release of that name could hold.
    fn of_named(&self, release: ReleaseId) -> Option<String> {
        if let Some(problem) = self.of(release) {
            return Some(problem);
        }
        let content = self.content.filter(|c| *c > release)?;
        let latest = self.latest.map_or_else(String::new, |d| {
            format!(" (the latest date in them is {d})")
        });
        Some(format!(
            "its records take effect as late as {content}{latest}, after that release"
        ))
    }

    /// Why a release given on the command line may be wrong: the file's name says another,
    /// its records take effect later, or years before it, or it is later than the quarter
    /// after today.
    fn of_given(&self, release: ReleaseId, named: Option<(ReleaseId, String)>) -> Vec<String> {
        let mut doubts = Vec::new();
        if let Some((by_name, name)) = named
            && by_name != release
        {
            doubts.push(format!(
                "--release {release}, but the name {name} says {by_name}"
            ));
        }
        if let Some(content) = self.content
            && content > release
        {
            doubts.push(format!(
                "--release {release}, but its records take effect as late as {content}"
            ));
        }
        if let Some(latest) = self.latest
            && i32::from(release.year) > chrono::Datelike::year(&latest) + 1
        {
            doubts.push(format!(
                "--release {release}, but the latest date in its records is {latest}"
            ));
        }
        if let Some(problem) = self.of(release) {
            doubts.push(format!("--release {release}, but {problem}"));
        }
        doubts
    }
}

/// Reads an already located release file into a snapshot.
pub fn load_source(file: source::SourceFile, options: ReadOptions) -> Result<Loaded, Error> {
    settle(typed_source(file)?, options)?.held()
}

/// An already located release file read and typed.
fn typed_source(file: source::SourceFile) -> Result<Typed, Error> {
    let info = file.info();
    let display = info.display();
    let source::SourceFile {
        file: name,
        member,
        bytes,
        form,
        companion,
        corrections,
        ..
    } = file;
    // The corrections beside the release read on a second thread while the release is typed.
    let (corrections, typed) = par::both(
        || corrections.map_err(Error::from).and_then(read_corrections),
        || match form {
            // A text is typed a line at a time: its rows are never all held (a large one is
            // hundreds of megabytes of them).
            read::Form::Text if !bytes.is_empty() => normalize::text(&display, &bytes),
            _ => {
                let mut parsed = read::read(&display, &bytes, form)?;
                let damaged = std::mem::take(&mut parsed.damaged);
                Ok((normalize::normalize(&display, parsed)?, damaged))
            }
        },
    );
    let (normalized, damaged) = typed?;
    // Freed now, the file's memory serves what comes next.
    drop(bytes);
    Ok(Typed {
        info,
        name,
        member,
        records: normalize::Records::Held(normalized.records),
        warnings: normalized.warnings,
        damaged,
        companion,
        corrections,
    })
}

/// A release file read and typed, its release not yet decided.
struct Typed {
    info: model::SourceInfo,
    /// The file the user named, and the member of it that holds the release.
    name: String,
    member: Option<String>,
    records: normalize::Records,
    /// The reader's warnings, then those met typing.
    warnings: Vec<Warning>,
    damaged: Vec<read::Damage>,
    companion: Option<source::Companion>,
    /// The corrections beside the release, read.
    corrections: Result<Vec<model::correction::CorrectionsFile>, Error>,
}

/// The most records whose snapshot lines are made once and held to be written
/// (`model::LinedSnapshot`): 20 MB of lines or so, five times CMS's largest release.
const LINES_HELD_MOST: usize = 50_000;

/// Damaged characters settled, the release decided and doubted, `--strict` applied.
fn settle(typed: Typed, options: ReadOptions) -> Result<Loaded<ToStore>, Error> {
    let Typed {
        info,
        name,
        member,
        mut records,
        mut warnings,
        damaged,
        companion,
        corrections,
    } = typed;
    let display = info.display();
    let settled = match &mut records {
        normalize::Records::Held(records) => {
            // The workbook found (and unpacked) only for a text that needs it.
            let book = match companion {
                Some(companion) if !damaged.is_empty() => companion.open(&name)?,
                _ => None,
            };
            normalize::damaged::settle(&damaged, records, book.as_ref())
        }
        // Only a loose text is kept on disk: no workbook beside it to repair its records
        // from, so they stay as they are, and each damaged character is said.
        normalize::Records::Spooled(_) => normalize::damaged::settle(&damaged, &mut [], None),
    };
    warnings.extend(settled);
    if records.is_empty() {
        return Err(ReadError::file(&display, error::FileProblem::NoRecords).into());
    }
    let by_name = source::release_from_names(member.as_deref(), &name);
    let dates = match &records {
        normalize::Records::Held(records) => source::Dates::of(records),
        normalize::Records::Spooled(kept) => kept.dates().clone(),
    };
    let doubts = Doubts {
        content: dates.release(),
        latest: dates.latest(),
        today: options.today,
    };
    let (release, release_from) = match (options.release, by_name) {
        (Some(r), by_name) => {
            // The release as given wins; where the name or the records say otherwise, or it
            // is from the future, that is said.
            for problem in doubts.of_given(r, by_name) {
                warnings.push(Warning {
                    at: error::Location::ReleaseId,
                    field: None,
                    message: problem,
                });
            }
            (r, ReleaseFrom::Given)
        }
        (None, Some((r, name))) => {
            if let Some(problem) = doubts.of_named(r) {
                return Err(Error::DoubtfulRelease {
                    file: display,
                    said: "its name says",
                    release: r,
                    problem,
                });
            }
            (r, ReleaseFrom::Name(name))
        }
        (None, None) => match doubts.content {
            Some(r) => {
                if let Some(problem) = doubts.of(r) {
                    return Err(Error::DoubtfulRelease {
                        file: display,
                        said: "its records say",
                        release: r,
                        problem,
                    });
                }
                (r, ReleaseFrom::Content)
            }
            None => return Err(Error::UnknownRelease { file: display }),
        },
    };
    if options.strict
        && let Some(warning) = warnings.first()
    {
        return Err(ReadError::Strict {
            file: display,
            warning: warning.clone(),
        }
        .into());
    }
    let snapshot = match records {
        // A release of CMS's size has its lines made once and held (a few megabytes); a larger
        // one held in memory (a text in many runs, or with no temporary file to keep it in) is
        // serialized as it is written, its lines never all held beside its records.
        normalize::Records::Held(records) if records.len() <= LINES_HELD_MOST => {
            ToStore::Lined(model::LinedSnapshot::new(release, info, records))
        }
        normalize::Records::Held(records) => ToStore::Held(Snapshot::new(release, info, records)),
        normalize::Records::Spooled(kept) => ToStore::Spooled(
            kept.into_snapshot(release, info)
                .map_err(|e| ReadError::file(&display, error::FileProblem::Spool(e)))?,
        ),
    };
    Ok(Loaded {
        snapshot,
        warnings,
        release_from,
        corrections,
    })
}
