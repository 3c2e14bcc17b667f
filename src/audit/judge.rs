//! Judging rows one at a time, as a report writes them: what is known of each code met (CMS's
//! dates, the stored releases that hold it), and each distinct verdict kept once, its reason
//! put in words once, for the rows of every code and slot (release in effect, what decided
//! it) that share it.

use std::sync::Arc;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::input::{self, Entry, Input, InputError};
use super::{CheckKey, DateCheck, Numbered, Releases, Row, RowColumns, RowView, Why, not_valid};
use crate::model::Kind;

/// What a dated row of one code is judged by: CMS's dates in the newest stored release that
/// has the code (`None` when none has it), and which stored releases hold it. Worked out once
/// per code, so a row costs a look-up.
pub(super) struct Known {
    dates: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    stored_in: Vec<bool>,
    /// Which of its [`Judge`]'s verdicts the code's rows in each [`Slot`] get ([`NOT_KEPT`]
    /// where none is known yet): every date of a slot gets the same.
    verdicts: Vec<u32>,
}

impl Known {
    pub(super) fn of(code: &str, releases: &Releases) -> Known {
        Known {
            dates: releases
                .newest_with(code)
                .map(|(_, r)| (r.added_date, r.termination_date)),
            stored_in: releases.all.iter().map(|s| s.get(code).is_some()).collect(),
            verdicts: Vec::new(),
        }
    }
}

/// Where, among a code's verdicts, a date's lies: the release in effect on it and what decided
/// it (for one code, these make the whole verdict). A date before every stored release has
/// none: the date is in its words.
#[derive(Debug, Clone, Copy)]
struct Slot(usize);

impl Slot {
    fn of(why: Why, in_effect: Option<usize>) -> Option<Slot> {
        let why = match why {
            Why::NotStored => 0,
            Why::NotYetAdded(_) => 1,
            Why::Terminated(_) => 2,
            Why::Within(..) => 3,
        };
        in_effect.map(|i| Slot(i * 4 + why))
    }
}

/// Whether a code was valid on `date`: added on or before it and not terminated before it, by
/// CMS's dates in the newest stored release that has the code.
pub(super) fn judge_date(known: &Known, date: NaiveDate, releases: &Releases) -> DateCheck {
    let in_effect = releases.in_effect(date);
    let mut check = DateCheck {
        valid: false,
        release: in_effect.map(|i| releases.all[i].release()),
        why: Why::NotStored,
        missing_from: None,
        before_oldest: None,
        worded: None,
    };
    if known.dates.is_none() {
        return check;
    }
    check.why = why_on(known.dates, date);
    check.valid = matches!(check.why, Why::Within(..));
    match in_effect {
        Some(i) => check.missing_from = (!known.stored_in[i]).then(|| releases.all[i].release()),
        None => check.before_oldest = releases.all.first().map(|o| (date, o.release())),
    }
    check
}

/// What decides whether a code with CMS's `dates` (added, terminated; `None` when no stored
/// release has the code) was valid on `date`.
pub(super) fn why_on(
    dates: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    date: NaiveDate,
) -> Why {
    match dates {
        None => Why::NotStored,
        Some((Some(added), _)) if date < added => Why::NotYetAdded(added),
        Some((_, Some(end))) if date > end => Why::Terminated(end),
        Some((added, end)) => Why::Within(added, end),
    }
}

/// What is wrong with `modifier` on a row: not in the release that applies (the one in effect on
/// the row's date of service, or the audited one for an undated row), or, by that release's
/// dates, not yet added or already terminated on the date.
fn modifier_problem(
    modifier: &str,
    date: Option<NaiveDate>,
    releases: &Releases,
) -> Option<(&'static str, String)> {
    modifier_trouble(modifier, date, releases).map(|(kind, words)| (kind, words()))
}

/// [`modifier_problem`]'s kind of problem, and its words only when asked for (counting a
/// claims extract's rows needs the kind alone).
pub(super) fn modifier_trouble<'a>(
    modifier: &'a str,
    date: Option<NaiveDate>,
    releases: &'a Releases,
) -> Option<(&'static str, impl FnOnce() -> String + 'a)> {
    // The release that applies, and whether it was in effect on the date (`Some(false)`: the
    // oldest stored, none was).
    let (release, in_effect) = match date {
        None => (releases.audited(), None),
        Some(d) => match releases.in_effect(d) {
            Some(i) => (&releases.all[i], Some(true)),
            None => (releases.all.first()?, Some(false)),
        },
    };
    let id = release.release();
    let which = move || match (date, in_effect) {
        (Some(d), Some(true)) => format!(" (in effect on {d})"),
        (Some(d), _) => format!(" (the oldest stored: none was in effect on {d})"),
        _ => String::new(),
    };
    let record = release.get(modifier).filter(|r| r.kind == Kind::Modifier);
    let problem = match (record, date) {
        (None, _) => ModifierProblem::NotInRelease,
        (Some(_), None) => return None,
        (Some(record), Some(d)) => match (record.added_date, record.termination_date) {
            (Some(added), _) if d < added => ModifierProblem::NotYetAdded(d, added),
            (_, Some(end)) if d > end => ModifierProblem::Terminated(d, end),
            _ => return None,
        },
    };
    let words = move || match problem {
        ModifierProblem::NotInRelease => {
            format!("modifier {modifier} is not in release {id}{}", which())
        }
        ModifierProblem::NotYetAdded(d, added) => format!(
            "modifier {modifier} not yet added on {d}: CMS added it on {added} (release {id})"
        ),
        ModifierProblem::Terminated(d, end) => {
            format!("modifier {modifier} terminated {end}, before {d} (release {id})")
        }
    };
    Some((problem.kind(), words))
}

/// What is wrong with a row's modifier: (the date of service, and CMS's date beside it).
#[derive(Debug, Clone, Copy)]
enum ModifierProblem {
    NotInRelease,
    NotYetAdded(NaiveDate, NaiveDate),
    Terminated(NaiveDate, NaiveDate),
}

impl ModifierProblem {
    fn kind(self) -> &'static str {
        match self {
            ModifierProblem::NotInRelease => "modifier not in the release",
            ModifierProblem::NotYetAdded(..) => "modifier not yet added",
            ModifierProblem::Terminated(..) => "modifier terminated",
        }
    }
}

/// `code` in one number, if it has at most 7 bytes: its bytes, and its length in the top byte.
fn packed(code: &str) -> Option<u64> {
    let bytes = code.as_bytes();
    (bytes.len() < 8).then(|| {
        let mut word = [0u8; 8];
        word[..bytes.len()].copy_from_slice(bytes);
        word[7] = bytes.len() as u8;
        u64::from_le_bytes(word)
    })
}

/// Judges the rows of the user's file, keeping what it learns of each code.
pub struct Judge<'a> {
    releases: &'a Releases<'a>,
    /// What is known of each code met, by its number.
    known: Vec<Known>,
    /// Codes' numbers: those of up to 7 bytes (nearly all) by their bytes in one number (see
    /// [`packed`]), others by themselves.
    short: FxHashMap<u64, u32>,
    long: FxHashMap<Box<str>, u32>,
    /// Codes' numbers by their ids in the survey of the file ([`NOT_KEPT`] for an id not met
    /// yet): a row read as the survey read it is not looked up by its bytes.
    by_survey: Vec<u32>,
    names: Vec<Arc<str>>,
    /// The distinct verdicts met, each with its reason in words (see [`DateCheck::worded`]),
    /// by number, at most [`MAX_WORDED`]; and the number of each by what it is made of. Rows
    /// of many codes share one: a code's [`Slot`] keeps only its number.
    checks: Vec<DateCheck>,
    numbers: FxHashMap<CheckKey, u32>,
    /// This judge's number, which its verdicts carry.
    id: u32,
    /// The last check made past [`MAX_WORDED`].
    scratch: Option<DateCheck>,
}

/// Where a [`Judge`] keeps a row's check: among its verdicts, or in its scratch.
#[derive(Debug, Clone, Copy)]
enum Kept {
    At(usize),
    Scratch,
}

/// A [`Slot`] of a code's whose check is not kept yet.
const NOT_KEPT: u32 = u32::MAX;

/// How many distinct verdicts a [`Judge`] keeps, with their reasons in words: they are few (a
/// code's dates, the release in effect) but for a date before the oldest stored release,
/// which is in the words. Past this, a row's check is made anew each time, so memory stays
/// bounded whatever the file (a few in tests, so that they pass it).
const MAX_WORDED: usize = if cfg!(test) { 8 } else { 1 << 16 };

impl<'a> Judge<'a> {
    pub fn new(releases: &'a Releases<'a>, input: &Input) -> Judge<'a> {
        static JUDGES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        Judge {
            releases,
            id: JUDGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            known: Vec::new(),
            short: FxHashMap::default(),
            long: FxHashMap::default(),
            by_survey: Vec::new(),
            checks: Vec::new(),
            numbers: FxHashMap::default(),
            scratch: None,
            names: input
                .extra_columns
                .iter()
                .map(|n| Arc::from(n.as_str()))
                .collect(),
        }
    }

    /// The number of `code` among the codes met, what is known of it worked out on meeting it.
    fn number(&mut self, code: &str) -> usize {
        let found = match packed(code) {
            Some(key) => self.short.get(&key),
            None => self.long.get(code),
        };
        if let Some(&n) = found {
            return n as usize;
        }
        let n = self.known.len();
        self.known.push(Known::of(code, self.releases));
        match packed(code) {
            Some(key) => self.short.insert(key, n as u32),
            None => self.long.insert(Box::from(code), n as u32),
        };
        n
    }

    /// [`Judge::number`] of a code with its id in the survey of the file.
    fn number_surveyed(&mut self, code: &str, id: input::SurveyId) -> usize {
        let id = usize::from(id);
        if let Some(&n) = self.by_survey.get(id).filter(|&&n| n != NOT_KEPT) {
            return n as usize;
        }
        let n = self.number(code);
        if self.by_survey.len() <= id {
            self.by_survey.resize(id + 1, NOT_KEPT);
        }
        self.by_survey[id] = n as u32;
        n
    }

    /// A line's code, by number, judged on its date: where its check is kept, made (with its
    /// reason in words, once for all the rows that share it) if it is not yet.
    fn judge_row(
        &mut self,
        code: &str,
        code_id: Option<input::SurveyId>,
        date: Option<NaiveDate>,
    ) -> (usize, Option<Kept>) {
        let n = match code_id {
            Some(id) => self.number_surveyed(code, id),
            None => self.number(code),
        };
        let Some(date) = date else {
            return (n, None);
        };
        let releases = self.releases;
        let known = &self.known[n];
        let slot = Slot::of(why_on(known.dates, date), releases.in_effect(date));
        if let Some(Slot(slot)) = slot
            && let Some(&at) = known.verdicts.get(slot).filter(|&&at| at != NOT_KEPT)
        {
            return (n, Some(Kept::At(at as usize)));
        }
        let check = judge_date(known, date, releases);
        let kept = self.keep(check);
        if let (Some(Slot(slot)), Kept::At(at)) = (slot, kept) {
            let verdicts = &mut self.known[n].verdicts;
            if verdicts.len() <= slot {
                verdicts.resize(slot + 1, NOT_KEPT);
            }
            verdicts[slot] = at as u32;
        }
        (n, Some(kept))
    }

    /// Where `check`'s verdict is kept: among those met, with its reason put in words once,
    /// or past [`MAX_WORDED`], in the scratch, without.
    fn keep(&mut self, mut check: DateCheck) -> Kept {
        let key = check.key();
        if let Some(&at) = self.numbers.get(&key) {
            return Kept::At(at as usize);
        }
        if self.checks.len() >= MAX_WORDED {
            self.scratch = Some(check);
            return Kept::Scratch;
        }
        let number = self.checks.len() as u32;
        check.worded = Some((
            Arc::from(check.words()),
            Numbered {
                judge: self.id,
                number,
            },
        ));
        self.numbers.insert(key, number);
        self.checks.push(check);
        Kept::At(number as usize)
    }

    /// The check kept where [`Judge::judge_row`] said.
    fn kept(&self, kept: Option<Kept>) -> Option<&DateCheck> {
        match kept? {
            Kept::At(at) => self.checks.get(at),
            Kept::Scratch => self.scratch.as_ref(),
        }
    }

    /// A line's code judged on its date, and its modifier's problem if it has one.
    pub(super) fn check(
        &mut self,
        code: &str,
        modifier: Option<&str>,
        date: Option<NaiveDate>,
    ) -> (Option<DateCheck>, Option<(&'static str, String)>) {
        let (_, kept) = self.judge_row(code, None, date);
        let date_check = self.kept(kept).cloned();
        let modifier_problem = modifier.and_then(|m| modifier_problem(m, date, self.releases));
        (date_check, modifier_problem)
    }

    fn numbered(&self, n: usize) -> Numbered {
        Numbered {
            judge: self.id,
            number: n as u32,
        }
    }

    /// One line of the user's file, judged.
    pub(super) fn row_of(
        &self,
        e: Entry,
        date_check: Option<DateCheck>,
        modifier_problem: Option<String>,
    ) -> Row {
        Row {
            line: e.line,
            given: e.given,
            code: e.code,
            modifier: e.modifier,
            modifier_problem,
            date: e.date.map(|(raw, _)| raw),
            date_check,
            columns: self.names.iter().cloned().zip(e.extra).collect(),
        }
    }

    /// The lines of `input`, judged, one at a time (the second pass, as a report is written);
    /// with `only_not_valid`, only the rows that are not valid, the others skipped before
    /// anything of them is copied.
    pub fn rows<'j>(
        &'j mut self,
        input: &'j Input,
        only_not_valid: bool,
    ) -> impl Iterator<Item = Result<Row, InputError>> + 'j {
        // A file that cannot be opened again is one error, then the end of the rows.
        let (lines, error) = match input.lines(self.releases.audited()) {
            Ok(lines) => (Some(lines), None),
            Err(e) => (None, Some(e)),
        };
        let rows = lines.map(|lines| self.rows_in(lines, only_not_valid));
        error.map(Err).into_iter().chain(rows.into_iter().flatten())
    }

    /// The rows of `lines` (of the whole file, or of one block of it), judged, as
    /// [`Judge::rows`] gives them.
    pub fn rows_in<'j>(
        &'j mut self,
        mut lines: input::Lines<'j>,
        only_not_valid: bool,
    ) -> impl Iterator<Item = Result<Row, InputError>> + 'j {
        std::iter::from_fn(move || {
            loop {
                let seen = match lines.advance()? {
                    Ok(seen) => seen,
                    Err(e) => return Some(Err(e)),
                };
                let (date_check, modifier_problem) =
                    self.check(&seen.code, seen.modifier.as_deref(), seen.date);
                if only_not_valid && !not_valid(date_check.as_ref(), modifier_problem.is_some()) {
                    continue;
                }
                let modifier_problem = modifier_problem.map(|(_, problem)| problem);
                return Some(Ok(self.row_of(
                    seen.to_entry(),
                    date_check,
                    modifier_problem,
                )));
            }
        })
    }

    /// Every row of `lines`, judged, handed to `each` as a view of the line read: nothing of
    /// it is copied (the CSV and JSON reports of a claims extract, millions of rows); and
    /// counted in `counts`, if given, by the survey's ids of the rows' codes. The first line
    /// that cannot be read is the error (a row without a survey's id, when counted, the file
    /// changed since it was surveyed).
    pub fn each_row(
        &mut self,
        mut lines: input::Lines<'_>,
        mut counts: Option<&mut super::tally::Counts>,
        mut each: impl FnMut(&RowView<'_>),
    ) -> Result<(), InputError> {
        while let Some(seen) = lines.advance() {
            let seen = seen?;
            let (n, kept) = self.judge_row(&seen.code, seen.code_id, seen.date);
            let modifier_problem = seen
                .modifier
                .as_deref()
                .and_then(|m| modifier_problem(m, seen.date, self.releases));
            let date_check = self.kept(kept);
            if let Some(counts) = counts.as_deref_mut() {
                let kind = modifier_problem.as_ref().map(|(kind, _)| *kind);
                let counted = seen
                    .code_id
                    .is_some_and(|id| counts.count(id, seen.date, date_check, kind));
                if !counted {
                    return Err(lines.unlike_survey());
                }
            }
            each(&RowView {
                code_number: Some(self.numbered(n)),
                line: seen.line,
                given: &seen.given,
                code: &seen.code,
                modifier: seen.modifier.as_deref(),
                modifier_problem: modifier_problem.as_ref().map(|(_, p)| p.as_str()),
                date: seen.written_date.as_deref(),
                date_check,
                columns: RowColumns::Read(&self.names, seen.extra),
            });
        }
        Ok(())
    }
}
