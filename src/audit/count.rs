//! Counting an audit's rows: in the judging pass over the file, or from a survey of a CSV
//! (each row's code, modifier and date, read once) on every core.

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::input::{self, Input, InputError};
use super::judge::{Judge, modifier_trouble, why_on};
use super::{Audit, Breakdown, CodeAudit, Releases, Row, Status, Summary, judge_code};
use crate::model::Snapshot;

/// How many distinct codes in no stored release an audit judges before it stops: every real
/// code is in the store, so more than this is a column that holds no codes (a claim number),
/// and each would cost a search for the nearest codes and memory that follows the file.
pub const MAX_UNKNOWN_CODES: usize = 10_000;

/// Judges every code of `input` against `releases` and counts its rows (the first pass over
/// the file). A line that cannot be read is an error naming it. Of the rows not valid, the
/// first `keep` are kept and returned (a report that lists no more than those needs no second
/// pass); no other row is.
pub fn audit(
    file: &str,
    input: &Input,
    releases: &Releases,
    keep: usize,
) -> Result<(Audit, Vec<Row>), InputError> {
    let release = releases.audited();
    let mut judge = Judge::new(releases, input);
    // Each distinct code judged once, its id its place in `codes`.
    let mut codes: Vec<CodeAudit> = Vec::new();
    let mut ids: FxHashMap<Box<str>, usize> = FxHashMap::default();
    let mut tally = Tally::default();
    let mut unknown = 0;
    let mut kept = Vec::new();
    let mut lines = input.lines(release)?;
    while let Some(seen) = lines.advance() {
        let seen = seen?;
        let (date_check, modifier_problem) =
            judge.check(&seen.code, seen.modifier.as_deref(), seen.date);
        let id = match ids.get(seen.code.as_ref()) {
            Some(&id) => id,
            None => {
                let judged = judge_code(&seen.code, releases);
                if judged.status == Status::Unknown {
                    unknown += 1;
                    if unknown > MAX_UNKNOWN_CODES {
                        return Err(InputError::Line {
                            file: input.name().to_string(),
                            line: seen.line,
                            problem: Box::new(input::LineProblem::TooManyUnknown {
                                code: seen.code.into_owned(),
                                limit: MAX_UNKNOWN_CODES,
                            }),
                        });
                    }
                }
                ids.insert(Box::from(seen.code.as_ref()), codes.len());
                codes.push(judged);
                codes.len() - 1
            }
        };
        let not_valid = tally.count(
            id,
            &codes[id],
            seen.date,
            date_check.as_ref().map(|d| (d.valid, d.kind())),
            modifier_problem.as_ref().map(|(kind, _)| *kind),
        );
        if !not_valid {
            continue;
        }
        if kept.len() < keep {
            let modifier_problem = modifier_problem.map(|(_, problem)| problem);
            kept.push(judge.row_of(seen.to_entry(), date_check, modifier_problem));
        }
    }
    Ok((tally.audit(file, releases, codes), kept))
}

/// The counts of an audit's rows, made as they are judged. The rows not valid are counted by
/// code id (a code's place among those judged), reason (a few) and month in quick tables, put
/// in order once at the end.
#[derive(Default)]
struct Tally {
    summary: Summary,
    by_code: Vec<usize>,
    by_reason: Vec<(&'static str, usize)>,
    by_month: FxHashMap<Option<(i32, u32)>, usize>,
}

impl Tally {
    /// Counts a row of the code of id `code` (judged as `judged`); whether it is not valid.
    /// `dated`: for a dated row, whether its code was valid on the date, and if not the kind
    /// of reason (see [`Why::counted`]).
    fn count(
        &mut self,
        code: usize,
        judged: &CodeAudit,
        date: Option<NaiveDate>,
        dated: Option<(bool, Option<&'static str>)>,
        modifier_problem: Option<&'static str>,
    ) -> bool {
        let summary = &mut self.summary;
        summary.rows += 1;
        match dated {
            Some((true, _)) => summary.valid_on_date += 1,
            Some(_) => summary.not_valid_on_date += 1,
            None => {}
        }
        let not_valid = modifier_problem.is_some() || dated.is_some_and(|(valid, _)| !valid);
        summary.rows_not_valid += usize::from(not_valid);
        summary.modifier_not_valid += usize::from(modifier_problem.is_some());
        summary.needs_attention |=
            not_valid || (dated.is_none() && judged.status.needs_attention());
        if not_valid {
            if self.by_code.len() <= code {
                self.by_code.resize(code + 1, 0);
            }
            self.by_code[code] += 1;
            let reasons = dated.and_then(|(_, kind)| kind).into_iter();
            for reason in reasons.chain(modifier_problem) {
                self.add_reason(reason, 1);
            }
            use chrono::Datelike;
            let month = date.map(|d| (d.year(), d.month()));
            *self.by_month.entry(month).or_default() += 1;
        }
        not_valid
    }

    fn add_reason(&mut self, reason: &'static str, n: usize) {
        match self.by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, all)) => *all += n,
            None => self.by_reason.push((reason, n)),
        }
    }

    /// Adds the counts of `other` (another part of the same rows).
    fn add(&mut self, other: Tally) {
        let (all, part) = (&mut self.summary, other.summary);
        all.rows += part.rows;
        all.valid_on_date += part.valid_on_date;
        all.not_valid_on_date += part.not_valid_on_date;
        all.modifier_not_valid += part.modifier_not_valid;
        all.rows_not_valid += part.rows_not_valid;
        all.needs_attention |= part.needs_attention;
        if self.by_code.len() < other.by_code.len() {
            self.by_code.resize(other.by_code.len(), 0);
        }
        for (all, n) in self.by_code.iter_mut().zip(other.by_code) {
            *all += n;
        }
        for (reason, n) in other.by_reason {
            self.add_reason(reason, n);
        }
        for (month, n) in other.by_month {
            *self.by_month.entry(month).or_default() += n;
        }
    }

    /// The audit of `codes` (in id order) with these counts.
    fn audit(self, file: &str, releases: &Releases, mut codes: Vec<CodeAudit>) -> Audit {
        let not_valid_rows = Breakdown {
            by_code: codes
                .iter()
                .zip(self.by_code)
                .filter(|&(_, n)| n > 0)
                .map(|(c, n)| (c.code.clone(), n))
                .collect(),
            by_reason: self.by_reason.into_iter().collect(),
            by_month: self.by_month.into_iter().collect(),
        };
        codes.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        let mut summary = self.summary;
        count_codes(&mut summary, &codes);
        Audit {
            schema_version: 1,
            file: file.to_string(),
            release: releases.audited().release(),
            previous: releases.previous().map(Snapshot::release),
            summary,
            codes,
            not_valid_rows,
        }
    }
}

/// How many surveyed rows one thread counts at a time (a few in tests, so that the parts'
/// counts are added up there too).
const COUNTED_AT_ONCE: usize = if cfg!(test) { 16 } else { 1 << 18 };

/// The audit [`audit`] makes of a CSV, made from its survey (every row's code, modifier and
/// date, read once) without reading the file again; `None` when the survey does not hold
/// every row, found a row that does not read, or names more than [`MAX_UNKNOWN_CODES`]
/// unknown codes: [`audit`] then reads the file and says which line is wrong.
pub fn audit_surveyed(file: &str, survey: &input::Survey, releases: &Releases) -> Option<Audit> {
    let rows = survey.rows.as_ref().filter(|_| survey.clean)?;
    let judged = surveyed_codes(survey, releases)?;
    // CMS's dates of each code in the newest stored release that has it (`None`: none has).
    let dates: Vec<_> = survey
        .codes
        .iter()
        .map(|code| {
            releases
                .newest_with(code)
                .map(|(_, r)| (r.added_date, r.termination_date))
        })
        .collect();
    // Counted on every core, a part of the rows each, the parts' counts added up after.
    let parts = crate::par::map(&rows.chunks(COUNTED_AT_ONCE).collect::<Vec<_>>(), |rows| {
        let mut tally = Tally::default();
        for row in *rows {
            let code = usize::from(row.code);
            let dated = row.date.map(|date| why_on(dates[code], date).counted());
            let modifier_problem = survey
                .modifiers
                .get(usize::from(row.modifier))
                .and_then(|m| modifier_trouble(m, row.date, releases))
                .map(|(kind, _)| kind);
            tally.count(code, &judged[code], row.date, dated, modifier_problem);
        }
        tally
    });
    let mut tally = Tally::default();
    for part in parts {
        tally.add(part);
    }
    Some(tally.audit(file, releases, judged))
}

/// The codes of a survey that holds every row of a CSV, each judged, in the order of their ids;
/// `None` when the survey does not hold every row or names more than [`MAX_UNKNOWN_CODES`]
/// unknown codes (as [`audit_surveyed`]).
pub fn surveyed_codes(survey: &input::Survey, releases: &Releases) -> Option<Vec<CodeAudit>> {
    survey.rows.as_ref().filter(|_| survey.clean)?;
    let judged: Vec<CodeAudit> = survey
        .codes
        .iter()
        .map(|code| judge_code(code, releases))
        .collect();
    let unknown = judged
        .iter()
        .filter(|c| c.status == Status::Unknown)
        .count();
    (unknown <= MAX_UNKNOWN_CODES).then_some(judged)
}

/// The counts of a surveyed CSV's rows made as they are judged for a report that lists every
/// row ([`Judge::each_row`]), a block at a time and added up after: the counts
/// [`audit_surveyed`] makes, without a pass of their own. `codes` are [`surveyed_codes`].
pub struct Counts<'c> {
    tally: Tally,
    codes: &'c [CodeAudit],
}

impl<'c> Counts<'c> {
    pub fn new(codes: &'c [CodeAudit]) -> Self {
        Counts {
            tally: Tally::default(),
            codes,
        }
    }

    /// Counts a row of the code of survey id `code`, judged: its date's check, if dated, and
    /// the kind of its modifier's problem, if any. `false` for an id not among the codes.
    pub(super) fn count(
        &mut self,
        code: input::SurveyId,
        date: Option<NaiveDate>,
        date_check: Option<&super::DateCheck>,
        modifier_problem: Option<&'static str>,
    ) -> bool {
        let code = usize::from(code);
        let Some(judged) = self.codes.get(code) else {
            return false;
        };
        let dated = date_check.map(|d| (d.valid, d.kind()));
        self.tally
            .count(code, judged, date, dated, modifier_problem);
        true
    }

    /// The codes counted, by survey id.
    pub fn codes(&self) -> &'c [CodeAudit] {
        self.codes
    }

    /// Adds the counts of `other` (other rows of the same file).
    pub fn add(&mut self, other: Counts) {
        self.tally.add(other.tally);
    }

    /// The audit of the file whose rows were counted.
    pub fn audit(self, file: &str, releases: &Releases) -> Audit {
        self.tally.audit(file, releases, self.codes.to_vec())
    }
}

fn count_codes(s: &mut Summary, codes: &[CodeAudit]) {
    s.codes = codes.len();
    for c in codes {
        *match c.status {
            Status::Active => &mut s.active,
            Status::Changed => &mut s.changed,
            Status::Terminated => &mut s.terminated,
            Status::NotInRelease => &mut s.not_in_release,
            Status::Unknown => &mut s.unknown,
        } += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Columns, release_for_tests};
    use crate::read::list::ListFile;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn release(id: &str, codes: &[(&str, Option<&str>, Option<&str>)]) -> Snapshot {
        release_for_tests(id, codes)
    }

    proptest::proptest! {
        /// The counts made from a survey of a CSV (no second reading), and those made as its
        /// blocks are judged for a report, are the counts the judging pass makes, whatever the
        /// rows: codes in one release, both, none, added or terminated around the date;
        /// modifiers known, unknown, terminated; dates before the oldest release.
        #[test]
        fn counts_from_a_survey_are_the_counts_of_the_judging_pass(
            rows in proptest::collection::vec((0..6usize, 0..4usize, 0..7000u32), 1..120),
            audited in 0..2usize,
        ) {
            let all = [
                release("2016-01", &[
                    ("E0424", Some("1990-01-01"), None),
                    ("E0431", Some("2016-01-01"), Some("2017-12-31")),
                    ("K0001", Some("1994-01-01"), None),
                    ("RR", Some("1990-01-01"), None),
                    ("NU", Some("2016-01-01"), Some("2018-06-30")),
                ]),
                release("2020-01", &[
                    ("E0424", Some("1990-01-01"), None),
                    ("E1392", Some("2019-04-01"), None),
                    ("K0001", Some("1994-01-01"), Some("2019-12-31")),
                    ("RR", Some("1990-01-01"), None),
                ]),
            ];
            let codes = ["E0424", "E0431", "E1392", "J9999", "K0001", "e1392"];
            let modifiers = ["", "RR", "XX", "NU"];
            let mut text = String::from("claim,HCPCS,MOD,DOS\n");
            for (i, (code, modifier, day)) in rows.iter().enumerate() {
                let d = date("2012-01-01") + chrono::Days::new(u64::from(*day));
                text.push_str(&format!("c{i},{},{},{d}\n", codes[*code], modifiers[*modifier]));
            }
            let list = ListFile::from_bytes("claims.csv", text.as_bytes()).unwrap();
            let columns = Columns { code: None, date: Some("DOS".into()) };
            let input = input::read(list, &columns).unwrap();
            let survey = input.survey().unwrap().unwrap();
            let releases = Releases::new(&all, audited);
            let surveyed = audit_surveyed("claims.csv", &survey, &releases).unwrap();
            let (judged, _) = audit("claims.csv", &input, &releases, 0).unwrap();
            proptest::prop_assert_eq!(&surveyed, &judged);
            // Counted as the rows are judged for a report, a block at a time (a few bytes each
            // in tests), each block's judge its own.
            let codes = surveyed_codes(&survey, &releases).unwrap();
            let mut counts = Counts::new(&codes);
            for block in input.blocks(&survey).unwrap() {
                let lines = input.block_lines(block.unwrap(), &survey).unwrap();
                let mut block_counts = Counts::new(&codes);
                Judge::new(&releases, &input)
                    .each_row(lines, Some(&mut block_counts), |_| {})
                    .unwrap();
                counts.add(block_counts);
            }
            proptest::prop_assert_eq!(counts.audit("claims.csv", &releases), judged);
        }
    }
}
