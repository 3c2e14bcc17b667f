//! Turns reader rows into typed `Record`s: joins description continuation lines, trims and
//! types every value by the same rules whatever the source form, and rejects what cannot be
//! read without guessing (naming file, line and field).

pub mod corrections;
pub mod damaged;
pub mod spool;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::error::{Location, ReadError, Warning};
use crate::model::{Kind, Record, codes};
use crate::read::layout::{Field, RawRow, spec_of};
use crate::read::{Parsed, Row};

/// A text's records as typing them left them: held, sorted by code, or kept on disk.
pub enum Records {
    Held(Vec<Record>),
    Spooled(spool::Kept),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::Held(records) => records.len(),
            Records::Spooled(kept) => kept.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A release's records, sorted by code, and the warnings met on the way.
#[derive(Debug)]
pub struct Normalized {
    pub records: Vec<Record>,
    pub warnings: Vec<Warning>,
}

/// Collapses runs of white space (CMS's files mix double spaces, tabs and no-break spaces into
/// otherwise equal text) and trims; `None` for a blank value.
pub fn clean(value: &str) -> Option<String> {
    let trimmed = crate::read::trim(value);
    if trimmed.is_empty() {
        return None;
    }
    // Nearly every value is printable ASCII with single spaces: already clean once trimmed.
    if trimmed.bytes().all(|b| matches!(b, b' '..=b'~')) && !trimmed.contains("  ") {
        return Some(trimmed.to_string());
    }
    let mut out = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (!out.is_empty()).then_some(out)
}

pub fn normalize(file: &str, parsed: Parsed) -> Result<Normalized, ReadError> {
    let mut normalizer = Normalizer::new(file, parsed.rows.len());
    for row in parsed.rows {
        normalizer.push(row)?;
    }
    let mut normalized = normalizer.finish();
    // The reader's warnings come first, as the reader met them before any record was typed.
    let mut warnings = parsed.warnings;
    warnings.append(&mut normalized.warnings);
    normalized.warnings = warnings;
    Ok(normalized)
}

/// A fixed-width text release read and typed a line at a time (`text::read_each` feeding a
/// `Normalizer`): the same records, warnings and errors as `read::read` then `normalize`, but
/// a row is typed as soon as it is cut, so the text's rows are never all held at once. The
/// reader's error wins over a typing error met earlier in the file, as when reading came
/// first; the damaged characters the reader noted come back beside the records.
pub fn text(file: &str, bytes: &[u8]) -> Result<(Normalized, Vec<crate::read::Damage>), ReadError> {
    let mut normalizer = Normalizer::new(file, most_records(bytes.len() as u64));
    let mut failed = None;
    // The text cut into rows on a second thread while they are typed here, in file order.
    let read = crate::par::handed_over(
        |each| crate::read::text::read_each(file, bytes, each),
        |row| {
            if failed.is_none()
                && let Err(e) = normalizer.push(row)
            {
                failed = Some(e);
            }
        },
    );
    let (mut warnings, damaged) = read?;
    if let Some(e) = failed {
        return Err(e);
    }
    let mut normalized = normalizer.finish();
    warnings.append(&mut normalized.warnings);
    normalized.warnings = warnings;
    Ok((normalized, damaged))
}

/// A fixed-width text read from `reader` a piece at a time (`text::read_stream`, at most
/// `read::max_unpacked` bytes; `size` is what the file says it holds, a hint) and typed as it
/// is read: what `text` gives for the same bytes, and their SHA-256, the bytes never held
/// whole; given a `spool`, the records are kept in it as they are typed, not held either. An
/// error reading the file comes before the reader's, the reader's before a typing error met
/// earlier in the file, as when the file was read whole first.
pub fn text_stream(
    file: &str,
    reader: impl std::io::Read,
    size: u64,
    encoding: &'static encoding_rs::Encoding,
    skip: usize,
    spool: Option<spool::Spool>,
) -> Result<TextStreamed, crate::read::text::StreamError> {
    let limit = crate::read::max_unpacked();
    let mut normalizer = match spool {
        Some(spool) => Normalizer::spooled(file, spool),
        None => Normalizer::new(file, most_records(size.min(limit))),
    };
    let mut failed = None;
    let streamed = crate::read::text::read_stream(file, reader, limit, encoding, skip, |row| {
        if failed.is_none()
            && let Err(e) = normalizer.push(row)
        {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(crate::read::text::StreamError::Read(e));
    }
    let (records, mut typing) = normalizer
        .finish_kept()
        .map_err(crate::read::text::StreamError::Read)?;
    let mut warnings = streamed.warnings;
    warnings.append(&mut typing);
    Ok(TextStreamed {
        records,
        warnings,
        damaged: streamed.damaged,
        sha256: streamed.sha256,
    })
}

/// A text read and typed a piece at a time (`text_stream`).
pub struct TextStreamed {
    pub records: Records,
    /// The reader's warnings, then those met typing.
    pub warnings: Vec<Warning>,
    pub damaged: Vec<crate::read::Damage>,
    /// SHA-256 (hex) of the text's bytes.
    pub sha256: String,
}

/// The most records a text of `bytes` bytes can hold (each starts with a first line of at
/// least 293 characters): the records' vector is sized once, as a growing one is copied,
/// each time to fresh memory. Room never filled is address space, not memory.
fn most_records(bytes: u64) -> usize {
    usize::try_from(bytes / crate::read::layout::FIRST_LINE_MIN_LEN as u64 + 1).unwrap_or(0)
}

/// Types rows one at a time, in file order, as a reader gives them (a large text need not
/// hold every row at once): `push` each, then `finish`.
pub struct Normalizer<'f> {
    file: &'f str,
    warnings: Vec<Warning>,
    /// Records in file order with where each starts.
    records: Vec<(Record, Location)>,
    /// Where each code is among them.
    index: HashMap<u64, usize>,
    /// The description parts of the last record, which continuation rows extend.
    parts: Vec<String>,
    /// Where records go once closed, if not to `records` (which then holds only the open one):
    /// a large text's (`spooled`).
    spool: Option<spool::Spool>,
}

impl<'f> Normalizer<'f> {
    /// `rows` (how many rows are expected, a hint) sizes the first allocations.
    pub fn new(file: &'f str, rows: usize) -> Self {
        Normalizer {
            file,
            warnings: Vec::new(),
            records: Vec::with_capacity(rows),
            index: HashMap::with_capacity(rows),
            parts: Vec::new(),
            spool: None,
        }
    }

    /// A normalizer that keeps each record on disk once it is closed (`spool`), for a text's
    /// rows, whose places are lines: records never all held.
    pub fn spooled(file: &'f str, spool: spool::Spool) -> Self {
        Normalizer {
            spool: Some(spool),
            ..Normalizer::new(file, 1)
        }
    }

    /// The closed record (the last one, its description joined) into the spool, if records go
    /// there.
    fn spill(&mut self) -> Result<(), ReadError> {
        match (&mut self.spool, self.records.pop()) {
            (Some(spool), Some((record, at))) => keep(self.file, spool, &record, &at),
            (None, Some(open)) => {
                self.records.push(open);
                Ok(())
            }
            (_, None) => Ok(()),
        }
    }

    /// Where the record of `code` (`key`) was met before, if it was.
    fn earlier(&mut self, code: &str, key: u64) -> Result<Option<Location>, ReadError> {
        match &mut self.spool {
            None => Ok(self.index.get(&key).map(|&i| self.records[i].1.clone())),
            Some(spool) => spool
                .first_at(code, key)
                .map(|line| line.map(Location::Line))
                .map_err(|e| ReadError::file(self.file, crate::error::FileProblem::Spool(e))),
        }
    }

    /// The last record's long description, from its parts.
    fn close(&mut self) {
        if let Some((record, _)) = self.records.last_mut()
            && !self.parts.is_empty()
        {
            record.long_description = clean(&self.parts.join(" ")).unwrap_or_default();
        }
        self.parts.clear();
    }

    /// Types the next row of the file.
    pub fn push(&mut self, row: Row) -> Result<(), ReadError> {
        let Row { at, raw } = row;
        let file = self.file;
        let field_error = |field: Field, problem: String| ReadError::Field {
            file: file.to_string(),
            at: at.clone(),
            field: spec_of(field).name,
            problem,
        };
        let code = crate::read::trim(raw.get(Field::Code));
        let (kind, first) = match crate::read::trim(raw.get(Field::RecordId)) {
            "3" => (Kind::Procedure, true),
            "4" => (Kind::Procedure, false),
            "7" => (Kind::Modifier, true),
            "8" => (Kind::Modifier, false),
            other => {
                return Err(field_error(
                    Field::RecordId,
                    format!(
                        "'{other}' is not a record identification code (3 or 7 start a code, 4 or 8 continue its description)"
                    ),
                ));
            }
        };
        let key = check_code(code, kind).map_err(|p| field_error(Field::Code, p.to_string()))?;
        let description = raw.get(Field::LongDescription).to_string();
        if first {
            self.close();
            self.spill()?;
            let mut record = record_from(code, kind, &raw).map_err(|(f, p)| field_error(f, p))?;
            if let Some(warning) = repair_shifted_asc_date(&mut record, &raw, &at) {
                self.warnings.push(warning);
            }
            if let Some(earlier) = self.earlier(code, key)? {
                return Err(ReadError::Record {
                    file: file.to_string(),
                    at,
                    problem: format!("duplicate code {code} (first at {earlier})"),
                });
            }
            if self.spool.is_none() {
                self.index.insert(key, self.records.len());
            }
            self.records.push((record, at));
            self.parts.push(description);
        } else {
            match self.records.last() {
                Some((open, _)) if open.code == code && open.kind == kind => {
                    self.parts.push(description)
                }
                _ => {
                    return Err(ReadError::Record {
                        file: file.to_string(),
                        at,
                        problem: format!(
                            "continuation line for {code} does not follow a first line of {code}"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The records (sorted by code, or kept on disk by a spooled normalizer), and the warnings
    /// met typing them.
    pub fn finish_kept(mut self) -> Result<(Records, Vec<Warning>), ReadError> {
        let Some(mut spool) = self.spool.take() else {
            let normalized = self.finish();
            return Ok((Records::Held(normalized.records), normalized.warnings));
        };
        self.close();
        if let Some((record, at)) = self.records.pop() {
            keep(self.file, &mut spool, &record, &at)?;
        }
        let finished = spool
            .finish()
            .map_err(|e| ReadError::file(self.file, crate::error::FileProblem::Spool(e)))?;
        let records = match finished {
            spool::Finished::Kept(kept) => Records::Spooled(kept),
            spool::Finished::Records(mut records) => {
                records.sort_unstable_by(|a, b| a.code.cmp(&b.code));
                Records::Held(records)
            }
        };
        Ok((records, self.warnings))
    }

    /// The records sorted by code, and the warnings met typing them.
    pub fn finish(mut self) -> Normalized {
        self.close();
        let mut records: Vec<Record> = self.records.into_iter().map(|(r, _)| r).collect();
        records.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        Normalized {
            records,
            warnings: self.warnings,
        }
    }
}

/// Keeps a closed record of the text `file`, met at `at`, in `spool`.
fn keep(
    file: &str,
    spool: &mut spool::Spool,
    record: &Record,
    at: &Location,
) -> Result<(), ReadError> {
    // A text's rows are at lines (`read::text`); only a text's records are spooled.
    let line = match at {
        Location::Line(n) | Location::CsvLine(n) | Location::Cell { row: n, .. } => *n,
        Location::ReleaseId => 0,
    };
    spool
        .push(record, spool::key_of(&record.code), line)
        .map_err(|e| ReadError::file(file, crate::error::FileProblem::Spool(e)))
}

/// Checks a code's form; its bytes as a number, a key no other code shares.
fn check_code(code: &str, kind: Kind) -> Result<u64, BadValue> {
    let (fits, shape) = match kind {
        Kind::Procedure => (codes::is_procedure_code(code), "a letter and four digits"),
        Kind::Modifier => (codes::is_modifier(code), "two letters or digits"),
    };
    if fits {
        Ok(spool::key_of(code))
    } else {
        Err(BadValue::Code {
            code: code.to_string(),
            kind,
            shape,
        })
    }
}

type FieldProblem = (Field, String);

fn record_from(code: &str, kind: Kind, raw: &RawRow) -> Result<Record, FieldProblem> {
    let text = |f| clean(raw.get(f));
    let list = |f| raw.all(f).filter_map(clean).collect::<Vec<_>>();
    let date = |f| parse_date(raw.get(f)).map_err(|p| (f, p.to_string()));
    let mut r = Record::new(code, kind);
    r.short_description = text(Field::ShortDescription);
    r.pricing_indicators = list(Field::PricingIndicator);
    r.multiple_pricing_indicator = text(Field::MultiplePricingIndicator);
    r.coverage_issues_manual = list(Field::CoverageIssuesManual);
    r.medicare_carriers_manual = list(Field::MedicareCarriersManual);
    r.statute = text(Field::Statute);
    r.lab_certifications = list(Field::LabCertification);
    r.cross_references = list(Field::CrossReference);
    r.coverage = text(Field::Coverage);
    r.asc_payment_group = text(Field::AscPaymentGroup);
    r.asc_effective_date = match shifted_asc_date(raw) {
        Some(_) => None,
        None => date(Field::AscEffectiveDate)?,
    };
    r.mog_payment_group = text(Field::MogPaymentGroup);
    r.mog_payment_indicator = text(Field::MogPaymentIndicator);
    r.mog_effective_date = date(Field::MogEffectiveDate)?;
    r.processing_note = text(Field::ProcessingNote);
    r.betos = text(Field::Betos);
    r.types_of_service = list(Field::TypeOfService);
    r.anesthesia_base_units = parse_units(raw.get(Field::AnesthesiaBaseUnits))
        .map_err(|p| (Field::AnesthesiaBaseUnits, p.to_string()))?;
    r.added_date = date(Field::AddedDate)?;
    r.action_effective_date = date(Field::ActionEffectiveDate)?;
    r.termination_date = date(Field::TerminationDate)?;
    r.action_code = text(Field::ActionCode);
    Ok(r)
}

/// CMS's 2018 file writes a few ASC effective dates two columns early, over the payment group
/// (`20` in the group, `170401` in the date; 2019 has `YY` and `20170401` for the same code).
/// The date is certain; the group is not, so it is left absent.
fn shifted_asc_date(raw: &RawRow) -> Option<NaiveDate> {
    let group = crate::read::trim(raw.get(Field::AscPaymentGroup));
    let date = crate::read::trim(raw.get(Field::AscEffectiveDate));
    if group.len() == 2
        && date.len() == 6
        && group
            .bytes()
            .chain(date.bytes())
            .all(|b| b.is_ascii_digit())
    {
        parse_date(&format!("{group}{date}")).ok().flatten()
    } else {
        None
    }
}

fn repair_shifted_asc_date(record: &mut Record, raw: &RawRow, at: &Location) -> Option<Warning> {
    let date = shifted_asc_date(raw)?;
    record.asc_effective_date = Some(date);
    record.asc_payment_group = None;
    Some(Warning {
        at: at.clone(),
        field: Some(spec_of(Field::AscEffectiveDate).name),
        message: format!(
            "'{}' and '{}' read as the date {date} written two columns early; the ASC payment group is left blank",
            raw.get(Field::AscPaymentGroup).trim(),
            raw.get(Field::AscEffectiveDate).trim()
        ),
    })
}

/// A field's value that is not what the layout says the field holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BadValue {
    #[error("'{code}' is not a {kind} code ({shape})")]
    Code {
        code: String,
        kind: Kind,
        shape: &'static str,
    },
    #[error("'{0}' is not a date (YYYYMMDD)")]
    Date(String),
    #[error("'{0}' is not a number of base units")]
    Units(String),
}

/// `YYYYMMDD`, or blank for no date.
fn parse_date(value: &str) -> Result<Option<NaiveDate>, BadValue> {
    let v = crate::read::trim(value);
    if v.is_empty() {
        return Ok(None);
    }
    let number = |range: std::ops::Range<usize>| v[range].parse::<u32>().ok();
    if v.len() == 8
        && v.bytes().all(|b| b.is_ascii_digit())
        && let (Some(y), Some(m), Some(d)) = (number(0..4), number(4..6), number(6..8))
        && let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d)
    {
        return Ok(Some(date));
    }
    Err(BadValue::Date(v.to_string()))
}

/// Anesthesia base units; CMS writes 0 on most codes and blank on others for "none", so both
/// are absent here (otherwise a change of file format would read as a change of every code).
fn parse_units(value: &str) -> Result<Option<u16>, BadValue> {
    let v = crate::read::trim(value);
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u16>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(BadValue::Units(v.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_every_kind_of_space() {
        assert_eq!(clean("  a \u{a0}b\t c  ").as_deref(), Some("a b c"));
        assert_eq!(clean(" \t "), None);
        assert_eq!(clean("a  b").as_deref(), Some("a b"));
        assert_eq!(clean(" a b\r").as_deref(), Some("a b"));
    }

    proptest::proptest! {
        /// The fast path for plain ASCII agrees with collapsing every run of white space.
        #[test]
        fn clean_is_words_joined_by_one_space(value in "[ a-c\t\r\u{a0}\u{2003}\u{b}\u{85}~!]{0,12}") {
            let words: Vec<&str> = value.split_whitespace().collect();
            let want = (!words.is_empty()).then(|| words.join(" "));
            proptest::prop_assert_eq!(clean(&value), want);
        }
    }

    /// A first line (3) or continuation line (4) of CMS's 320-character text.
    fn line(code: &str, ric: char, desc: &str, added: &str) -> String {
        let mut l = format!("{code:>5}00100{ric}{desc:<80}");
        if matches!(ric, '3' | '7') {
            l.push_str(&format!("{:<28}", "Short"));
            l.push_str(&" ".repeat(320 - l.len()));
            l.replace_range(276..284, added);
            l.replace_range(292..293, "N");
        }
        l
    }

    /// Read whole then typed (`read::read`, `normalize`), as a workbook is.
    fn whole(bytes: &[u8]) -> Result<(Vec<Record>, Vec<String>), String> {
        let parsed = crate::read::read("t.txt", bytes, crate::read::Form::Text)
            .map_err(|e| e.to_string())?;
        let n = normalize("t.txt", parsed).map_err(|e| e.to_string())?;
        Ok((
            n.records,
            n.warnings.iter().map(|w| w.to_string()).collect(),
        ))
    }

    /// Typed a line at a time (`text`).
    fn streamed(bytes: &[u8]) -> Result<(Vec<Record>, Vec<String>), String> {
        let (n, _) = text("t.txt", bytes).map_err(|e| e.to_string())?;
        Ok((
            n.records,
            n.warnings.iter().map(|w| w.to_string()).collect(),
        ))
    }

    /// A reader giving at most `size` bytes a read.
    struct Pieces<'a>(&'a [u8], usize);

    impl std::io::Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Read from a reader of `size`-byte pieces (`text_stream`), within `limit` bytes; its
    /// SHA-256 checked. The records are held; `spooled` gives them kept on disk.
    fn pieces(bytes: &[u8], size: usize, limit: u64) -> Result<(Vec<Record>, Vec<String>), String> {
        let held = stream(bytes, size, limit, false);
        assert_eq!(stream(bytes, size, limit, true), held);
        held
    }

    fn stream(
        bytes: &[u8],
        size: usize,
        limit: u64,
        spooled: bool,
    ) -> Result<(Vec<Record>, Vec<String>), String> {
        let (encoding, skip) = crate::read::text::line_encoding(bytes).unwrap();
        let saved = crate::read::max_unpacked();
        crate::read::set_max_unpacked(limit);
        let spool = spooled.then(|| spool::Spool::new().unwrap());
        let read = text_stream("t.txt", Pieces(bytes, size), 0, encoding, skip, spool);
        crate::read::set_max_unpacked(saved);
        let read = read.map_err(|e| match e {
            crate::read::text::StreamError::Read(e) => e.to_string(),
            crate::read::text::StreamError::TooLarge => "too large".to_string(),
            crate::read::text::StreamError::Io(e) => e.to_string(),
        })?;
        assert_eq!(read.sha256, crate::model::sha256_hex(bytes));
        Ok((
            records_of(read.records),
            read.warnings.iter().map(|w| w.to_string()).collect(),
        ))
    }

    /// The records, read back in code order if they were kept on disk; that order's SHA-256
    /// checked against the snapshot's.
    fn records_of(records: Records) -> Vec<Record> {
        let kept = match records {
            Records::Held(records) => return records,
            Records::Spooled(kept) => kept,
        };
        let source = crate::model::SourceInfo {
            file: "t.txt".to_string(),
            member: None,
            sha256: String::new(),
        };
        let release = crate::model::ReleaseId::new(2020, 1).unwrap();
        let spooled = kept.into_snapshot(release, source.clone()).unwrap();
        let mut lines = Vec::new();
        crate::model::SnapshotLines::write_records(&spooled, &mut lines).unwrap();
        let snapshot = spooled.into_snapshot().unwrap();
        let held = crate::model::Snapshot::new(release, source, snapshot.records.clone());
        assert_eq!(snapshot, held);
        assert_eq!(lines, crate::model::record_lines(&held.records));
        snapshot.records
    }

    #[test]
    fn a_text_typed_a_line_at_a_time_gives_what_reading_it_whole_gives() {
        let good = line("E1392", '3', "Portable", "20200101");
        let more = line("E1392", '4', "rental", "");
        let bad_date = line("A0001", '3', "Ambulance", "2020013X");
        let duplicate = line("E1392", '3', "Again", "20200101");
        let mut long = line("A0002", '3', "Longer", "20200101");
        long.push_str("  spilled");
        let short = &good[..200];
        // 2018's ASC date written two columns early: a typing warning.
        let mut shifted = line("A0003", '3', "Shifted", "20200101");
        shifted.replace_range(230..238, "20170401");
        // CMS's order: the modifiers, then the procedure codes, each run in code order.
        let modifier = line("ZC", '7', "Modifier", "20200101");
        let other = line("AA", '7', "Other", "20200101");
        let ambulance = line("A0001", '3', "Ambulance", "20200101");
        let texts = [
            vec![good.as_str(), more.as_str()],
            vec![
                other.as_str(),
                modifier.as_str(),
                ambulance.as_str(),
                good.as_str(),
                more.as_str(),
            ],
            // Runs the other way, and a code met again in a later run (said at the line where
            // it is met again, naming the first), or in the same one.
            vec![
                good.as_str(),
                ambulance.as_str(),
                modifier.as_str(),
                other.as_str(),
            ],
            vec![
                ambulance.as_str(),
                good.as_str(),
                modifier.as_str(),
                ambulance.as_str(),
            ],
            vec![
                modifier.as_str(),
                ambulance.as_str(),
                other.as_str(),
                good.as_str(),
                ambulance.as_str(),
            ],
            // A typing error (the date) before a reading error (a short line): the reader's
            // error is the one said, as when the whole text was read first.
            vec![bad_date.as_str(), good.as_str(), short],
            vec![bad_date.as_str(), good.as_str()],
            vec![good.as_str(), duplicate.as_str()],
            vec![more.as_str(), good.as_str()],
            // A typing warning (the shifted date) on a line before a reader's warning (past
            // the layout): the reader's comes first, as when the whole text was read first.
            vec![shifted.as_str(), long.as_str()],
            vec!["Disclaimer", ""],
        ];
        for lines in texts {
            let bytes = lines.join("\r\n");
            let want = whole(bytes.as_bytes());
            assert_eq!(streamed(bytes.as_bytes()), want, "{lines:?}");
            // Read a piece at a time, lines cut anywhere, with or without a last line end.
            for piece in [1, 7, 320, 1 << 20] {
                assert_eq!(pieces(bytes.as_bytes(), piece, u64::MAX), want, "{lines:?}");
            }
            let ended = format!("{bytes}\r\n");
            assert_eq!(
                pieces(ended.as_bytes(), 5, u64::MAX),
                whole(ended.as_bytes())
            );
            // With a byte-order mark, as `source` passes it.
            let marked = [b"\xEF\xBB\xBF".as_slice(), bytes.as_bytes()].concat();
            assert_eq!(pieces(&marked, 3, u64::MAX), whole(&marked));
        }
        // Past the limit, the text is too large, whatever error its lines hold.
        let bytes = [bad_date.as_str(), short].join("\r\n");
        assert_eq!(pieces(bytes.as_bytes(), 64, 400).unwrap_err(), "too large");
        assert!(pieces(bytes.as_bytes(), 64, bytes.len() as u64).is_err_and(|e| e != "too large"));
        let bytes = [shifted.as_str(), long.as_str()].join("\r\n");
        let (_, warnings) = pieces(bytes.as_bytes(), 7, u64::MAX).unwrap();
        assert!(
            warnings.len() == 2 && warnings[0].contains("line 2"),
            "{warnings:?}"
        );
        let bytes = [bad_date.as_str(), short].join("\r\n");
        assert!(
            streamed(bytes.as_bytes())
                .unwrap_err()
                .contains("line 2: record line too short"),
        );
    }

    /// A text in more runs in code order than are merged as the snapshot is written (every
    /// code before the one above it) is read back from disk and sorted, to the same records.
    #[test]
    fn a_text_in_more_runs_than_are_merged_gives_the_same_records() {
        let lines: Vec<String> = (0..=spool::MOST_RUNS + 1)
            .rev()
            .map(|i| line(&format!("E{i:04}"), '3', "Item", "20200101"))
            .collect();
        let bytes = lines.join("\r\n");
        let (records, _) = pieces(bytes.as_bytes(), 1 << 20, u64::MAX).unwrap();
        assert_eq!(records.len(), spool::MOST_RUNS + 2);
        assert_eq!(
            (records[0].code.as_str(), records[1].code.as_str()),
            ("E0000", "E0001")
        );
        let read = stream(bytes.as_bytes(), 1 << 20, u64::MAX, true).unwrap();
        assert_eq!(Ok(read), whole(bytes.as_bytes()));
    }

    #[test]
    fn dates_and_units() {
        assert_eq!(
            parse_date("20060101").unwrap(),
            NaiveDate::from_ymd_opt(2006, 1, 1)
        );
        assert_eq!(parse_date("        ").unwrap(), None);
        assert_eq!(
            parse_date("2006013X").unwrap_err().to_string(),
            "'2006013X' is not a date (YYYYMMDD)"
        );
        assert_eq!(
            parse_date("20061301").unwrap_err().to_string(),
            "'20061301' is not a date (YYYYMMDD)"
        );
        assert_eq!(parse_units("  0").unwrap(), None);
        assert_eq!(parse_units(" 02").unwrap(), Some(2));
    }
}
