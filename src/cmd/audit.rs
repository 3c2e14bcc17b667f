//! `audit FILE`: the codes a supplier bills, judged against the stored releases.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::Result;

use hcpcs_diff::audit::{self, Columns, Releases};
use hcpcs_diff::exit;
use hcpcs_diff::model::ReleaseId;
use hcpcs_diff::report;
use hcpcs_diff::store::{Store, StoreError};

use hcpcs_diff::read::list::ListFile;

/// How many rows not valid the judging pass keeps for a text, markdown or HTML report: one
/// that lists no more needs no second pass over the file.
const KEPT_ROWS: usize = 10_000;

/// The formats an audit report comes in (no workbook: that is a changelog's).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Markdown,
    Json,
    Csv,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A watch list (one code per line, # comments) or a CSV with a header (catalogue,
    /// chargemaster, claims extract).
    file: PathBuf,
    /// The release to audit against; the newest stored one if absent.
    #[arg(long)]
    release: Option<ReleaseId>,
    /// The CSV column holding the code (found by its header if absent: HCPCS, HCPC, CODE, ...).
    #[arg(long, value_name = "NAME")]
    column: Option<String>,
    /// The CSV column holding each row's date of service; each row is judged on its date.
    #[arg(long, value_name = "NAME")]
    date_column: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    format: AuditFormat,
    /// Text, markdown and HTML list at most N rows not valid (all are counted by code, reason
    /// and month); CSV and JSON list every row.
    #[arg(long, value_name = "N", default_value_t = report::audit::MAX_ROWS)]
    max_rows: usize,
    /// Write the report to FILE instead of standard output, atomically: whole, or on error
    /// nothing (an existing FILE left as it was).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(store: &Store, args: Args, out: &mut dyn Write) -> Result<u8> {
    super::output::refuse_in_store(store, args.output.as_deref())?;
    super::output::refuse_input(args.output.as_deref(), [args.file.as_path()])?;
    let name = args.file.display().to_string();
    let columns = Columns {
        code: args.column,
        date: args.date_column,
    };
    // The file is read through (which columns, and for a CSV which codes and modifiers its
    // rows name) on a second thread, in the encoding its head shows, while this one loads the
    // audited release whole and then reads the file through once more to tell whether it is
    // text in that encoding (read again in the other if it is not); then every other release
    // is read a line at a time on every core, checked whole and, when every row read, trimmed
    // to the records of the codes the file names. The file's error, if any, comes first, then
    // the first release that cannot be read, oldest first.
    let not_text = AtomicBool::new(false);
    let surveyed = |list: ListFile| -> Result<_, hcpcs_diff::Error> {
        let input = audit::input::read(list, &columns)?;
        let survey = input.survey_unless(&not_text)?;
        Ok((input, survey))
    };
    let (list, unread) = ListFile::open_head(&name, &args.file).map_err(hcpcs_diff::Error::from)?;
    let (input, survey, all, audited) = std::thread::scope(|s| -> Result<_> {
        let reading = s.spawn(|| surveyed(list.clone()));
        let releases = store.releases();
        let audited = releases
            .as_ref()
            .ok()
            .and_then(|releases| match args.release {
                Some(r) => releases.iter().position(|&stored| stored == r),
                None => releases.len().checked_sub(1),
            });
        let whole = audited
            .zip(releases.as_ref().ok())
            .map(|(i, releases)| store.load(releases[i]));
        let checked = unread.map(|unread| unread.finish(&list)).transpose();
        // A file that is not text is refused whatever its rows, and one in another encoding
        // than its head showed is surveyed again: either way the survey under way stops.
        let other_encoding = matches!(&checked, Ok(Some(l)) if l.encoding() != list.encoding());
        not_text.store(checked.is_err() || other_encoding, Ordering::Relaxed);
        let read = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (input, survey) = match checked.map_err(hcpcs_diff::Error::from)? {
            Some(list_as_is) if list_as_is.encoding() != list.encoding() => {
                not_text.store(false, Ordering::Relaxed);
                surveyed(list_as_is)?
            }
            _ => read?,
        };
        let releases = releases?;
        if releases.is_empty() {
            return Err(StoreError::Empty.into());
        }
        let (Some(audited), Some(whole)) = (audited, whole) else {
            return Err(args
                .release
                .map_or(StoreError::Empty, StoreError::Missing)
                .into());
        };
        let others: Vec<ReleaseId> = releases
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != audited)
            .map(|(_, &r)| r)
            .collect();
        // Trimmed only to a survey that read every row: one that stopped at a bad line holds
        // the codes up to it, enough for the judging pass that stops there too, but nothing
        // is trusted to agree on where that is.
        let mut loaded = hcpcs_diff::par::map(&others, |&r| match &survey {
            Some(survey) if survey.clean => store.load_where(r, |code| survey.names(code)),
            _ => store.load(r),
        });
        loaded.insert(audited, whole);
        let all = loaded.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok((input, survey, all, audited))
    })?;
    let releases = Releases::new(&all, audited);
    // Text, markdown and HTML list only the rows that are not valid; CSV and JSON every row.
    let only_not_valid = !matches!(args.format, AuditFormat::Csv | AuditFormat::Json);
    let mut write = |result: &audit::Audit, rows: &mut report::audit::Rows| {
        super::emit_with(out, args.output.as_deref(), |w| match args.format {
            AuditFormat::Text => report::audit::text(w, result, rows, args.max_rows),
            AuditFormat::Markdown => report::audit::markdown(w, result, rows, args.max_rows),
            AuditFormat::Json => report::audit::json(w, result, rows),
            AuditFormat::Csv => report::audit::csv(w, result, rows),
            AuditFormat::Html => report::audit::html(w, result, rows, args.max_rows),
        })
    };
    // A CSV report of a CSV whose every row the survey holds is counted as its rows are
    // judged and written: no pass of its own over them.
    if let AuditFormat::Csv = args.format
        && let Some(survey) = survey
            .as_ref()
            .filter(|s| s.rows.as_ref().is_some_and(|rows| !rows.is_empty()))
        && let Some(codes) = audit::surveyed_codes(survey, &releases)
    {
        let mut counts = audit::Counts::new(&codes);
        let (head, rows) = csv_rows(&codes, &input);
        super::emit_with(out, args.output.as_deref(), |w| {
            in_blocks(
                w,
                &head,
                &rows,
                &input,
                survey,
                &releases,
                Some(&mut counts),
            )
        })?;
        return Ok(status(&counts.audit(&name, &releases)));
    }
    // A CSV whose every row read when it was surveyed is counted from the survey. Any other
    // file is judged and counted in a first pass (which finds any bad line before a report is
    // begun), keeping the first rows not valid a report lists. Then the file is read once
    // more for the rows the report writes: nothing can fail half-way through the report but
    // the writing itself (or the file changed since, which is an error).
    let surveyed = survey
        .as_ref()
        .and_then(|survey| audit::audit_surveyed(&name, survey, &releases));
    let (result, kept) = match surveyed {
        Some(result) => (result, None),
        None => {
            let keep = if only_not_valid {
                args.max_rows.min(KEPT_ROWS)
            } else {
                0
            };
            let (result, kept) =
                audit::audit(&name, &input, &releases, keep).map_err(hcpcs_diff::Error::from)?;
            (result, Some(kept))
        }
    };
    let clean = survey
        .as_ref()
        .filter(|s| s.clean && result.summary.rows > 0);
    let all_kept = |kept: &Vec<audit::Row>| {
        kept.len() == result.summary.rows_not_valid || kept.len() >= args.max_rows
    };
    match (args.format, clean, kept) {
        // Every row of a CSV, read in blocks judged and written on every core, for the
        // reports that list every row.
        (format @ (AuditFormat::Csv | AuditFormat::Json), Some(survey), _) => {
            let (head, rows) = if matches!(format, AuditFormat::Json) {
                (report::audit::json_head(&result)?, BlockRows::Json)
            } else {
                csv_rows(&result.codes, &input)
            };
            super::emit_with(out, args.output.as_deref(), |w| {
                in_blocks(w, &head, &rows, &input, survey, &releases, None)
            })?;
        }
        (_, _, Some(kept)) if only_not_valid && all_kept(&kept) => {
            write(&result, &mut kept.into_iter().map(Ok))?;
        }
        _ => {
            let mut judge = audit::Judge::new(&releases, &input);
            if only_not_valid {
                // A text report stops reading once it has listed as many rows as it shows.
                write(&result, &mut judge.rows(&input, true))?;
            } else {
                // Rows are read and judged on a second thread while this one writes them.
                hcpcs_diff::par::pipelined(
                    || judge.rows(&input, false),
                    |rows| write(&result, rows),
                )?;
            }
        }
    }
    Ok(status(&result))
}

/// The exit status of `result`: whether anything needs attention.
fn status(result: &audit::Audit) -> u8 {
    if result.needs_attention() {
        exit::CHANGES
    } else {
        exit::OK
    }
}

/// A CSV report's header line (the file's own columns, then the audit's) and its rows' writer,
/// for the audit of `codes`.
fn csv_rows<'a>(
    codes: &'a [hcpcs_diff::audit::CodeAudit],
    input: &audit::Input,
) -> (Vec<u8>, BlockRows<'a>) {
    let csv = report::audit::CsvRows::new(codes);
    let mut head = Vec::new();
    csv.header(&mut head, input.extra_columns.iter().map(String::as_str));
    (head, BlockRows::Csv(csv))
}

/// What a block's rows are first given room for: a block of a claims extract (256 KiB) makes
/// about 3 MiB of CSV or JSON.
const FIRST_BUFFER: usize = 4 << 20;

/// How the rows of a surveyed CSV read in blocks are written.
enum BlockRows<'a> {
    Csv(report::audit::CsvRows<'a>),
    Json,
}

/// Every row of a surveyed CSV, after `head`, as `rows` says: the file read again in blocks,
/// each judged and formatted on its own core, written in the file's order; and counted in
/// `counts`, if given.
fn in_blocks(
    w: &mut dyn Write,
    head: &[u8],
    rows_as: &BlockRows,
    input: &audit::Input,
    survey: &audit::input::Survey,
    releases: &Releases,
    mut counts: Option<&mut audit::Counts>,
) -> std::io::Result<()> {
    let json = matches!(rows_as, BlockRows::Json);
    let codes = counts.as_deref().map(audit::Counts::codes);
    // Opened (the file checked to be as it was) before anything is written.
    let blocks = input.blocks(survey).map_err(std::io::Error::other)?;
    w.write_all(head)?;
    // Buffers written out go back for the next block: a block's lines are some megabytes,
    // which fresh memory would cost the clearing of every page.
    let spare = Mutex::new(Vec::<Vec<u8>>::new());
    let take = || spare.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut any_rows = false;
    hcpcs_diff::par::ordered(
        blocks.map(|block| block.map_err(std::io::Error::other)),
        || {
            (
                audit::Judge::new(releases, input),
                report::audit::Written::default(),
            )
        },
        |(judge, written), block| {
            // Made once at about its size: a vector grown by doubling copies itself into fresh
            // memory each time, and the system clears every fresh page.
            let mut rows = take().unwrap_or_else(|| Vec::with_capacity(FIRST_BUFFER));
            rows.clear();
            let mut block_counts = codes.map(audit::Counts::new);
            // A CSV's block has lines, always.
            if let Some(lines) = input.block_lines(block, survey) {
                let mut failed = None;
                judge
                    .each_row(lines, block_counts.as_mut(), |row| match rows_as {
                        BlockRows::Json => report::audit::json_row(&mut rows, row, written),
                        BlockRows::Csv(csv) => {
                            if let Err(e) = csv.row(&mut rows, row, written) {
                                failed.get_or_insert(e);
                            }
                        }
                    })
                    .map_err(std::io::Error::other)?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            Ok((rows, block_counts))
        },
        |(rows, block_counts)| {
            if let (Some(all), Some(block)) = (counts.as_deref_mut(), block_counts) {
                all.add(block);
            }
            // JSON rows each open with a comma, but the first.
            let skip = usize::from(json && !any_rows && !rows.is_empty());
            w.write_all(&rows[skip..])?;
            any_rows |= !rows.is_empty();
            spare
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(rows);
            Ok(())
        },
    )?;
    if json {
        w.write_all(report::audit::json_tail(any_rows))?;
    }
    w.flush()
}
