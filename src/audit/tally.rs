//! The counts of an audit's rows (summary, and the rows not valid by code, reason and month),
//! made as rows are judged: by the judging pass, from a survey, or by the blocks a report is
//! written from.

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::{Audit, Breakdown, CodeAudit, DateCheck, Releases, Status, Summary, input};
use crate::model::Snapshot;

/// The counts of an audit's rows, made as they are judged. The rows not valid are counted by
/// code id (a code's place among those judged), reason (a few) and month in quick tables, put
/// in order once at the end.
#[derive(Default)]
pub(super) struct Tally {
    summary: Summary,
    by_code: Vec<usize>,
    by_reason: Vec<(&'static str, usize)>,
    by_month: FxHashMap<Option<(i32, u32)>, usize>,
}

impl Tally {
    /// Counts a row of the code of id `code` (judged as `judged`); whether it is not valid.
    /// `dated`: for a dated row, whether its code was valid on the date, and if not the kind
    /// of reason (see [`Why::counted`]).
    pub(super) fn count(
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
    pub(super) fn add(&mut self, other: Tally) {
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
    pub(super) fn audit(self, file: &str, releases: &Releases, mut codes: Vec<CodeAudit>) -> Audit {
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

/// The counts of a surveyed CSV's rows made as they are judged for a report that lists every
/// row ([`Judge::each_row`](super::Judge::each_row)), a block at a time and added up after:
/// the counts [`audit_surveyed`](super::audit_surveyed) makes, without a pass of their own.
/// `codes` are [`surveyed_codes`](super::surveyed_codes).
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
        date_check: Option<&DateCheck>,
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
