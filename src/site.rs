//! `site DIR`: a static website of the whole store. Loads each stored snapshot once, diffs each
//! release against the one before, takes every code's history from the loaded snapshots, and
//! has `report::site` render the pages into a temporary folder beside DIR that then takes DIR's
//! place (`fs::create_folder_atomically`): a failed run leaves the previous site as it was. A
//! page whose bytes did not change keeps its file (hard-linked from the previous site), so a
//! refresh rewrites only the pages that changed.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::diff::history::{self, History, KeptCorrection};
use crate::diff::{self, Change, Changeset};
use crate::model::correction::CorrectionsFile;
use crate::model::{Record, ReleaseId, Snapshot};
use crate::report::site::{self as render, CodeSummary, CorrectionsSummary, Group, ReleaseRow};
use crate::store::{Store, StoreError};

/// The file that marks a folder as a site this tool made, and so one it may replace whole.
pub const MARKER: &str = ".hcpcs-diff-site";

const MARKER_TEXT: &str = "Made by hcpcs-diff site. Each run replaces this whole folder.\n";

/// Options of a site build.
#[derive(Debug, Clone)]
pub struct Options {
    /// When the site says it was made (RFC 3339): the same store and time give the same bytes.
    pub generated_at: String,
}

/// What a build did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    pub releases: usize,
    pub codes: usize,
    /// Files in the site.
    pub files: usize,
    /// Of them, those kept from the previous site because their bytes were the same.
    pub kept: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error(
        "{0}: not empty and not a site made by hcpcs-diff (no {MARKER} in it): `site` replaces \
         the whole folder, so name a new or empty folder, or one it made"
    )]
    NotASite(String),
    #[error("{0}: is not a folder")]
    NotAFolder(String),
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SiteError + '_ {
    move |source| SiteError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What swapping the new site in can fail with, before `build` names the folder it is about.
enum Swap {
    /// Making, syncing or renaming the folders.
    Io(io::Error),
    /// DIR is not a folder, or not one the tool may replace.
    Refused(crate::fs::Refused),
    /// Building the site.
    Site(SiteError),
}

impl From<io::Error> for Swap {
    fn from(e: io::Error) -> Self {
        Swap::Io(e)
    }
}

impl From<crate::fs::Refused> for Swap {
    fn from(e: crate::fs::Refused) -> Self {
        Swap::Refused(e)
    }
}

/// Builds the site of `store` into `dir`, replacing a site made before. `dir` must be absent,
/// an empty folder or a site this tool made (`fs::create_folder_atomically` checks it).
pub fn build(store: &Store, dir: &Path, options: &Options) -> Result<Built, SiteError> {
    let previous = dir.join(MARKER).is_file().then(|| dir.to_path_buf());
    let shown = || dir.display().to_string();
    crate::fs::create_folder_atomically(
        dir,
        |d| d.join(MARKER).is_file(),
        |tmp| -> Result<Built, Swap> {
            let mut tree = Tree {
                root: tmp.to_path_buf(),
                previous,
                files: 0,
                kept: 0,
            };
            fill(store, &mut tree, options).map_err(Swap::Site)
        },
    )
    .map_err(|e| match e {
        Swap::Io(source) => SiteError::Io {
            path: shown(),
            source,
        },
        Swap::Refused(crate::fs::Refused::NotAFolder) => SiteError::NotAFolder(shown()),
        Swap::Refused(crate::fs::Refused::NotOurs) => SiteError::NotASite(shown()),
        Swap::Site(e) => e,
    })
}

/// The new site's folder, and the previous site's to keep unchanged files from.
struct Tree {
    root: PathBuf,
    previous: Option<PathBuf>,
    files: usize,
    kept: usize,
}

impl Tree {
    /// Writes the file `rel` (`codes/E1392.html`); if the previous site has the same bytes
    /// there, its file is linked in instead, so that it is not rewritten.
    fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_at(parent))?;
        }
        self.files += 1;
        if let Some(old) = self.previous.as_ref().map(|p| p.join(rel))
            && std::fs::read(&old).is_ok_and(|o| o == bytes)
            && std::fs::hard_link(&old, &path).is_ok()
        {
            self.kept += 1;
            return Ok(());
        }
        std::fs::write(&path, bytes).map_err(io_at(&path))
    }

    fn render(
        &mut self,
        rel: &str,
        page: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<(), SiteError> {
        let mut bytes = Vec::with_capacity(1 << 14);
        // Writing into memory does not fail; the renderers' `io::Result` is for the writers
        // of the other commands (a file, standard output).
        page(&mut bytes).map_err(io_at(Path::new(rel)))?;
        self.put(rel, &bytes)
    }
}

/// Everything loaded once: the snapshots, their corrections and postings.
struct Loaded {
    snapshots: Vec<Snapshot>,
    corrections: Vec<Vec<CorrectionsFile>>,
    revisions: Vec<usize>,
}

fn load(store: &Store) -> Result<Loaded, SiteError> {
    let releases = store.releases()?;
    if releases.is_empty() {
        return Err(StoreError::Empty.into());
    }
    let snapshots = crate::par::map(&releases, |&r| store.load(r))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let mut corrections = Vec::new();
    let mut revisions = Vec::new();
    for &r in &releases {
        corrections.push(store.corrections(r)?);
        revisions.push(store.revision_count(r)? as usize);
    }
    Ok(Loaded {
        snapshots,
        corrections,
        revisions,
    })
}

fn fill(store: &Store, tree: &mut Tree, options: &Options) -> Result<Built, SiteError> {
    tree.put(MARKER, MARKER_TEXT.as_bytes())?;
    tree.put("site.css", render::layout::stylesheet().as_bytes())?;
    tree.put("search.js", render::search::SCRIPT.as_bytes())?;
    let loaded = load(store)?;
    let Loaded {
        snapshots,
        corrections,
        revisions,
    } = &loaded;
    let pairs: Vec<usize> = (1..snapshots.len()).collect();
    let changesets: Vec<Changeset> = crate::par::map(&pairs, |&i| {
        let (old, new) = (&snapshots[i - 1], &snapshots[i]);
        let mut set = diff::diff(old, new);
        let kept = |s: &Snapshot, files| diff::corrections::Kept {
            release: s.release(),
            files,
        };
        diff::corrections::explain(
            &mut set,
            kept(old, &corrections[i - 1]),
            kept(new, &corrections[i]),
        );
        // The time is the home page's: a release's page stays the same bytes from run to run.
        set.context.generated_at = None;
        set
    });
    let newest = newest_records(snapshots);
    let site = summary(
        snapshots,
        &newest,
        corrections,
        revisions,
        &changesets,
        options,
    );

    tree.render("index.html", |out| render::home::render(out, &site))?;
    tree.render("search.html", |out| render::search::render(out, &site))?;
    tree.render("search-index.js", |out| render::search::index(out, &site))?;
    tree.render("sections/index.html", |out| {
        render::section::index(out, &site)
    })?;
    for group in &site.groups {
        tree.render(&render::group_page(&group.id), |out| {
            render::section::render(out, &site, group)
        })?;
    }
    for (i, s) in snapshots.iter().enumerate() {
        let set = i.checked_sub(1).map(|j| &changesets[j]);
        tree.render(&render::release_page(s.release()), |out| {
            render::release::render(out, &site, s.release(), set)
        })?;
    }
    let mut named = corrections_by_code(snapshots, corrections);
    for (&code, &(at, record)) in &newest {
        let mut h = history::history(code, snapshots);
        h.corrections = named.remove(code).unwrap_or_default();
        let view = render::code::CodeView {
            replacements: replacements(&h, snapshots),
            history: &h,
            record,
            record_release: snapshots[at].release(),
        };
        tree.render(&render::code_page(code), |out| {
            render::code::render(out, &site, &view)
        })?;
    }
    Ok(Built {
        releases: snapshots.len(),
        codes: site.codes.len(),
        files: tree.files,
        kept: tree.kept,
    })
}

/// Every code and modifier of every stored release, sorted, with the newest snapshot that has
/// it (its index) and its record there.
fn newest_records(snapshots: &[Snapshot]) -> BTreeMap<&str, (usize, &Record)> {
    let mut newest = BTreeMap::new();
    for (i, s) in snapshots.iter().enumerate() {
        for r in &s.records {
            newest.insert(r.code.as_str(), (i, r));
        }
    }
    newest
}

/// The releases with their counts, every code with its newest description (`newest`), and
/// the section pages' groups.
fn summary(
    snapshots: &[Snapshot],
    newest: &BTreeMap<&str, (usize, &Record)>,
    corrections: &[Vec<CorrectionsFile>],
    revisions: &[usize],
    changesets: &[Changeset],
    options: &Options,
) -> render::Site {
    let codes: Vec<CodeSummary> = newest
        .values()
        .map(|&(i, r)| CodeSummary {
            code: r.code.clone(),
            kind: r.kind,
            description: r.long_description.clone(),
            added_date: r.added_date,
            termination_date: r.termination_date,
            last_release: snapshots[i].release(),
        })
        .collect();
    let mut by_id: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in codes.iter().enumerate() {
        let id = render::group_of(&c.code, c.kind);
        by_id
            .entry((render::group_order(&id), id))
            .or_default()
            .push(i);
    }
    let groups: Vec<Group> = by_id
        .into_iter()
        .map(|((_, id), codes)| Group {
            title: render::group_title(&id),
            id,
            codes,
        })
        .collect();
    let releases = snapshots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let first = s.release().first_day();
            let set = i.checked_sub(1).map(|j| &changesets[j]);
            let count = |which: &[Change]| {
                set.map(|set| {
                    set.changes
                        .iter()
                        .filter(|c| which.contains(&c.change))
                        .count()
                })
            };
            let mut in_effect_by_group = vec![0; groups.len()];
            let mut in_effect = 0;
            for r in &s.records {
                if r.termination_date.is_some_and(|t| t < first) {
                    continue;
                }
                in_effect += 1;
                let id = render::group_of(&r.code, r.kind);
                // Always found: the groups are made from every code of every snapshot.
                if let Some(g) = groups.iter().position(|g| g.id == id) {
                    in_effect_by_group[g] += 1;
                }
            }
            ReleaseRow {
                id: s.release(),
                provenance: s.provenance.clone(),
                revisions: revisions[i],
                corrections: corrections[i].iter().map(CorrectionsSummary::of).collect(),
                in_effect,
                added: count(&[Change::Added]),
                retired: count(&[Change::Retired, Change::Dropped]),
                in_effect_by_group,
            }
        })
        .collect();
    render::Site {
        releases,
        codes,
        groups,
        generated_at: options.generated_at.clone(),
    }
}

/// Every code's rows in the kept corrections files, release by release, gathered in one pass.
fn corrections_by_code<'a>(
    snapshots: &[Snapshot],
    corrections: &'a [Vec<CorrectionsFile>],
) -> BTreeMap<&'a str, Vec<KeptCorrection>> {
    let mut out: BTreeMap<&str, Vec<KeptCorrection>> = BTreeMap::new();
    for (s, files) in snapshots.iter().zip(corrections) {
        for file in files {
            for c in &file.corrections {
                out.entry(c.code.as_str())
                    .or_default()
                    .push(KeptCorrection {
                        release: s.release(),
                        file: file.name.clone(),
                        version: file.version,
                        correction: c.clone(),
                    });
            }
        }
    }
    out
}

/// For each release that retired or dropped the code (or added it already terminated): the
/// codes to use instead, as that release has them (the changelog's own rule).
fn replacements(h: &History, snapshots: &[Snapshot]) -> Vec<(ReleaseId, Vec<diff::Replacement>)> {
    let mut out = Vec::new();
    for e in &h.events {
        let ends = match e.step {
            history::Step::Retired | history::Step::Dropped => true,
            history::Step::Added => e.termination_date.is_some(),
            _ => false,
        };
        if !ends {
            continue;
        }
        // Always found: the history's events are the snapshots' releases.
        let Some(i) = snapshots.iter().position(|s| s.release() == e.release) else {
            continue;
        };
        let record = snapshots[i]
            .get(&h.code)
            .or_else(|| i.checked_sub(1).and_then(|j| snapshots[j].get(&h.code)));
        if let Some(record) = record {
            let list = diff::replacements(record, &snapshots[i]);
            if !list.is_empty() {
                out.push((e.release, list));
            }
        }
    }
    out
}
