//! `export [RELEASE] [--format csv|sqlite|fhir|fhir-conceptmap]`: the store for other tools: a
//! release as CSV or FHIR, or every release and the changes between them as one SQLite
//! database.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use hcpcs_diff::exit;
use hcpcs_diff::model::{ReleaseId, Snapshot};
use hcpcs_diff::report;
use hcpcs_diff::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per code of RELEASE, every field: for spreadsheets and other diff tools.
    Csv,
    /// Every stored release, the changes between consecutive ones and each code's validity,
    /// as one SQLite database (needs --output, takes no RELEASE): for SQL and claims joins.
    Sqlite,
    /// The same tables as Parquet files in the folder --output names (releases, sections,
    /// codes, changes, validity), typed: for DuckDB, Spark and other warehouse engines.
    Parquet,
    /// RELEASE as a FHIR R4 CodeSystem (JSON): for terminology servers.
    Fhir,
    /// RELEASE's terminated codes mapped to their cross-reference codes, as a FHIR R4
    /// ConceptMap (JSON).
    FhirConceptmap,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The stored release to export (csv, fhir, fhir-conceptmap); sqlite and parquet take every
    /// one.
    release: Option<ReleaseId>,
    /// What to write, and for whom.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write to FILE (atomically) instead of standard output; with --format parquet, the
    /// FOLDER its tables are written into (whole, then moved into place).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With --format sqlite: replace FILE even if it is not a database this tool wrote.
    #[arg(long)]
    force: bool,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    super::output::refuse_in_store(store, args.output.as_deref())?;
    if args.force && args.format != Format::Sqlite {
        bail!("--force is for --format sqlite (which replaces a database whole)");
    }
    let render: fn(&mut dyn Write, &Snapshot) -> std::io::Result<()> = match args.format {
        Format::Sqlite => return sqlite(store, args, out),
        Format::Parquet => return parquet(store, args, out),
        Format::Csv => report::export::csv,
        Format::Fhir => report::fhir::code_system,
        Format::FhirConceptmap => report::fhir::concept_map,
    };
    let Some(release) = args.release else {
        bail!(
            "export --format {}: which release? e.g. `export 2025-01` (see `hcpcs-diff list`)",
            name(args.format)
        );
    };
    let snapshot = store.load(release)?;
    super::emit_with(out, args.output.as_deref(), |w| render(w, &snapshot))?;
    Ok(exit::OK)
}

fn name(format: Format) -> String {
    clap::ValueEnum::to_possible_value(&format)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// Where a whole-store format (sqlite, parquet) writes: it takes no RELEASE, and needs an
/// `--output` (`what` says what it names, and why).
fn whole_store_output(args: &Args, what: &str) -> Result<std::path::PathBuf> {
    let format = name(args.format);
    if let Some(release) = args.release {
        bail!(
            "export --format {format} writes every stored release; drop {release} (select it in \
             SQL: WHERE release = '{release}')"
        );
    }
    args.output
        .clone()
        .with_context(|| format!("export --format {format} needs --output {what}"))
}

/// Every stored release, oldest first; an empty store is an error.
fn every_release(store: &Store) -> Result<Vec<Snapshot>> {
    let reading = super::progress("reading every stored release".to_string());
    let snapshots = store.load_all();
    reading.finish_and_clear();
    let snapshots = snapshots?;
    if snapshots.is_empty() {
        return Err(hcpcs_diff::store::StoreError::Empty.into());
    }
    Ok(snapshots)
}

fn sqlite(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let path = whole_store_output(&args, "FILE (a database is not written to a terminal)")?;
    if !args.force {
        report::sqlite::replaceable(&path).with_context(|| format!("{}", path.display()))?;
    }
    let snapshots = every_release(store)?;
    let writing = super::progress(format!("writing {}", path.display()));
    let written = report::sqlite::write(&path, &snapshots);
    writing.finish_and_clear();
    let written = written.with_context(|| format!("{}", path.display()))?;
    writeln!(
        out,
        "{}: {} releases, {} code rows, {} change rows",
        path.display(),
        written.releases,
        written.codes,
        written.changes
    )?;
    Ok(exit::OK)
}

fn parquet(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    let dir = whole_store_output(&args, "FOLDER (one file per table is written there)")?;
    let snapshots = every_release(store)?;
    let mut written = report::parquet::Written::default();
    // A folder of an earlier export (nothing but its tables) is replaced; any other is not.
    let earlier_export = |dir: &std::path::Path| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                let name = e.file_name();
                report::parquet::TABLES
                    .iter()
                    .any(|t| name.to_str() == Some(&format!("{t}.parquet")))
            })
        })
    };
    let writing = super::progress(format!("writing {}", dir.display()));
    let done = hcpcs_diff::fs::create_folder_atomically(&dir, earlier_export, |tmp| {
        written = report::parquet::write(tmp, &snapshots)?;
        Ok::<(), anyhow::Error>(())
    });
    writing.finish_and_clear();
    done.with_context(|| format!("{}", dir.display()))?;
    writeln!(
        out,
        "{}: {} releases, {} sections, {} code rows, {} change rows, {} validity rows",
        dir.display(),
        written.releases,
        written.sections,
        written.codes,
        written.changes,
        written.validity
    )?;
    Ok(exit::OK)
}
