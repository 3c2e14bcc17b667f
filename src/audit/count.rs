//! Counting an audit's rows: in the judging pass over the file, or from a survey of a CSV
//! (each row's code, modifier and date, read once) on every core. The counts themselves are
//! [`Tally`]'s; a report's blocks make them with [`Counts`](super::Counts).

use rustc_hash::FxHashMap;

use super::input::{self, Input, InputError};
use super::judge::{Judge, modifier_trouble, why_on};
use super::tally::Tally;
use super::{Audit, CodeAudit, Releases, Row, Status, judge_code};

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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::audit::{Columns, Counts, release_for_tests};
    use crate::model::Snapshot;
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
