//! CMS's corrections to a posted release: rows of code, action in words ("ADD CODE", "Change
//! Cov to C and Price to 39", "Removed in error - add back to file"), effective date and the
//! fields the row fills in. Each row is classified and its new values taken out where the row
//! or its words state them plainly; anything else stays as CMS wrote it, marked unparsed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a correction does, as far as its words say without guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The code belongs in the release ("ADD CODE").
    Add,
    /// The code is discontinued ("Discontinue", "Terminate code").
    Terminate,
    /// A termination the release shows is withdrawn ("Do not terminate").
    DoNotTerminate,
    /// The code was left out in error ("Removed in error - add back to file").
    Reinstate,
    /// The code does not belong in the release ("Remove code", "DELETE", "DO NOT ADD").
    Remove,
    /// Named fields change ("Change Cov to C and Price to 39", "Add Lab Cert code 220").
    Change,
    /// The long or short description is revised ("Revise LD", "Revise Long & Short Desc").
    ReviseDescription,
    /// Words this tool does not read without guessing ("revert back to 2017 description").
    Unparsed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Terminate => "terminate",
            Action::DoNotTerminate => "do not terminate",
            Action::Reinstate => "reinstate",
            Action::Remove => "remove",
            Action::Change => "change",
            Action::ReviseDescription => "revise description",
            Action::Unparsed => "unparsed",
        }
    }
}

/// How a stated value changes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// The field becomes the value (a list field: becomes exactly these values, `;`-separated).
    Set,
    /// The value is added to a list field.
    Include,
    /// The value is taken out of a list field, or the field is cleared (empty value).
    Exclude,
}

/// One new value a correction states: field (the snapshot's key, e.g. `coverage`), how, value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stated {
    pub field: String,
    pub op: Op,
    pub value: String,
}

impl Stated {
    fn set(field: &str, value: impl Into<String>) -> Stated {
        Stated {
            field: field.to_string(),
            op: Op::Set,
            value: value.into(),
        }
    }
}

/// One row of a corrections file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub code: String,
    /// CMS's words, as written (spaces tidied).
    pub action: String,
    pub class: Action,
    /// The effective date, when the row gives a readable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<NaiveDate>,
    /// The effective date as written, when it is not a date (`01/0/12019`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_unread: Option<String>,
    /// The row's other filled-in columns, by header as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, String>,
    /// The new values the row or its words state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stated: Vec<Stated>,
    /// Where it is in its file: "line 7", "sheet 'Sheet1' row 5".
    pub at: String,
}

impl Correction {
    /// The value this correction states for `field` with `Op::Set`, if any.
    pub fn sets(&self, field: &str) -> Option<&str> {
        self.stated
            .iter()
            .find(|s| s.field == field && s.op == Op::Set)
            .map(|s| s.value.as_str())
    }

    /// "Change Cov to C and Price to 39 (effective 2019-01-01; V1_HCPC2018_...xlsx)".
    pub fn describe(&self, file: &str) -> String {
        let when = match (&self.effective, &self.effective_unread) {
            (Some(d), _) => format!("effective {d}; "),
            (None, Some(raw)) => format!("effective '{raw}' (not a date); "),
            (None, None) => String::new(),
        };
        format!("{} ({when}{file})", self.action)
    }
}

/// A corrections file kept with a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionsFile {
    /// The file's name (a zip's member as `zip/member`).
    pub name: String,
    pub sha256: String,
    /// CMS's version of the file (`V3_...`, `..._v2`); 1 when the name gives none.
    pub version: u32,
    pub corrections: Vec<Correction>,
}

/// `code`'s rows in `files`, each with the file it is in, oldest version first.
pub fn for_code<'a>(
    files: &'a [CorrectionsFile],
    code: &str,
) -> Vec<(&'a CorrectionsFile, &'a Correction)> {
    files
        .iter()
        .flat_map(|f| f.corrections.iter().map(move |c| (f, c)))
        .filter(|(_, c)| c.code == code)
        .collect()
}

/// The version a corrections file's name gives: `V4_HCPC2018_...` → 4, `..._v2.xlsx` → 2, else 1.
pub fn version_from_name(name: &str) -> u32 {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let stem = base.split('.').next().unwrap_or(&base);
    let number = |s: &str| s.parse::<u32>().ok().filter(|v| (1..100).contains(v));
    let lead = stem
        .strip_prefix('v')
        .and_then(|r| r.split('_').next())
        .and_then(number);
    let tail = stem
        .rsplit('_')
        .next()
        .and_then(|t| t.strip_prefix('v'))
        .and_then(number);
    lead.or(tail).unwrap_or(1)
}

/// A corrections date: `01/01/2019`, `20190101` (a workbook's date cell), or a workbook's
/// serial day number (`43466`).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.len() == 5
        && let Ok(serial) = raw.parse::<i64>()
    {
        let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
        return epoch.checked_add_signed(chrono::Duration::days(serial));
    }
    ["%m/%d/%Y", "%Y%m%d", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
        .filter(|d| (1980..2100).contains(&chrono::Datelike::year(d)))
}

/// The row's columns that state new values, by the snapshot field each fills. Header names
/// differ by year: `COV`/`Coverage`, `PRICE`/`Pricing`, `ASC IND`, `XREF CODE`, ...
fn column_field(header: &str) -> Option<&'static str> {
    let key: String = header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match key.as_str() {
        "shortdesc" | "shortdescription" => "short_description",
        "longdesc" | "longdescription" => "long_description",
        "tos" | "typeofservice" => "types_of_service",
        "betos" => "betos",
        "cov" | "coverage" => "coverage",
        "price" | "pricing" | "pricingindicator" => "pricing_indicators",
        "xrefcode" | "xref" | "crossreference" => "cross_references",
        "ascind" | "ascgroup" | "ascpaymentgroup" => "asc_payment_group",
        "ascdate" | "asceffdate" => "asc_effective_date",
        _ => return None,
    })
}

/// Classifies `action` (CMS's words) and takes out the values it and the row's `columns`
/// (header → value) state. `effective` is the row's date, which some actions set.
pub fn classify(
    action: &str,
    columns: &BTreeMap<String, String>,
    effective: Option<NaiveDate>,
) -> (Action, Vec<Stated>) {
    let words = action.to_ascii_lowercase();
    let words = words.trim();
    let from_columns = || -> Vec<Stated> {
        columns
            .iter()
            .filter_map(|(h, v)| {
                let field = column_field(h)?;
                let value = v.trim();
                (!value.is_empty()).then(|| Stated::set(field, list_value(field, value)))
            })
            .collect()
    };
    let class = match words {
        w if w == "add" || w.starts_with("add code") => Action::Add,
        w if w.starts_with("discontin") || w.starts_with("terminate") => Action::Terminate,
        w if w.starts_with("do not terminate") => Action::DoNotTerminate,
        w if w.contains("add back") || w.starts_with("reinstate") => Action::Reinstate,
        w if w == "delete"
            || w.starts_with("remove code")
            || w.starts_with("do not add")
            || w.starts_with("remove, will be assigned") =>
        {
            Action::Remove
        }
        w if w.starts_with("revise")
            && ["desc", "long", "short", " ld", " sd"]
                .iter()
                .any(|t| w.contains(t) || w.ends_with(t.trim())) =>
        {
            Action::ReviseDescription
        }
        _ => {
            let stated = stated_by_words(words, effective);
            return match stated {
                Some(mut stated) => {
                    // The row's columns repeat or complete what the words say.
                    for s in from_columns() {
                        if !stated.iter().any(|t| t.field == s.field) {
                            stated.push(s);
                        }
                    }
                    (Action::Change, stated)
                }
                None => (Action::Unparsed, Vec::new()),
            };
        }
    };
    let mut stated = from_columns();
    match class {
        Action::Terminate => stated.extend(effective.map(|d| {
            // CMS's termination date is the day before the discontinuation takes effect.
            let last = d.pred_opt().unwrap_or(d);
            Stated::set("termination_date", last.format("%Y-%m-%d").to_string())
        })),
        Action::Add => stated
            .extend(effective.map(|d| Stated::set("added_date", d.format("%Y-%m-%d").to_string()))),
        _ => {}
    }
    (class, stated)
}

/// A value as the snapshot writes it: a list `9,F` → `9;F`, a date `20190101` → `2019-01-01`.
fn list_value(field: &str, value: &str) -> String {
    if field.ends_with("_date") {
        return parse_date(value)
            .map_or_else(|| value.to_string(), |d| d.format("%Y-%m-%d").to_string());
    }
    if matches!(
        field,
        "types_of_service" | "pricing_indicators" | "cross_references"
    ) {
        value
            .split([',', ';'])
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(";")
    } else {
        value.to_string()
    }
}

/// The values a "change" action's words state: "Change Cov to C and Price to 39", "Change
/// xref code to J7203", "Remove xref code Q0080", "Add Lab Cert code 220", "Add "YY" ASC Ind",
/// "Change ASC Ind/ASC eff date", "Remove "YY" ASC Ind and ASC Start date of ...", "Change
/// Action code to "F" and add Action Effective date", "Action effective date should be
/// 20240101 and action code "N"". `None` when the words are none of these.
fn stated_by_words(words: &str, effective: Option<NaiveDate>) -> Option<Vec<Stated>> {
    let ymd = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let last_word = |w: &str| {
        w.split_whitespace()
            .last()
            .map(|t| t.trim_matches('"').to_ascii_uppercase())
    };
    if let Some(rest) = words.strip_prefix("change cov to ") {
        let mut stated = Vec::new();
        let (cov, price) = rest.split_once(" and price to ").unwrap_or((rest, ""));
        stated.push(Stated::set("coverage", cov.trim().to_ascii_uppercase()));
        if !price.trim().is_empty() {
            stated.push(Stated::set("pricing_indicators", price.trim().to_string()));
        }
        return Some(stated);
    }
    if let Some(code) = words.strip_prefix("change xref code to ") {
        return Some(vec![Stated::set(
            "cross_references",
            code.trim().to_ascii_uppercase(),
        )]);
    }
    if words.starts_with("remove xref code ") {
        return Some(vec![Stated {
            field: "cross_references".to_string(),
            op: Op::Exclude,
            value: last_word(words)?,
        }]);
    }
    if words.starts_with("add lab cert code ") {
        return Some(vec![Stated {
            field: "lab_certifications".to_string(),
            op: Op::Include,
            value: last_word(words)?,
        }]);
    }
    if words.starts_with("add \"yy\" asc ind") || words.starts_with("change asc ind") {
        let mut stated = vec![Stated::set("asc_payment_group", "YY")];
        if words.starts_with("change asc ind/asc eff date") {
            stated.extend(effective.map(|d| Stated::set("asc_effective_date", ymd(d))));
        }
        return Some(stated);
    }
    if words.starts_with("remove \"yy\" asc ind") {
        let clear = |field: &str| Stated {
            field: field.to_string(),
            op: Op::Exclude,
            value: String::new(),
        };
        return Some(vec![
            clear("asc_payment_group"),
            clear("asc_effective_date"),
        ]);
    }
    if let Some(rest) = words.strip_prefix("change action code to ") {
        let code = rest
            .split_whitespace()
            .next()?
            .trim_matches('"')
            .to_ascii_uppercase();
        let mut stated = vec![Stated::set("action_code", code)];
        if rest.contains("action effective date") {
            stated.extend(effective.map(|d| Stated::set("action_effective_date", ymd(d))));
        }
        return Some(stated);
    }
    if let Some(rest) = words.strip_prefix("action effective date should be ") {
        let (date, code) = rest.split_once(" and action code ")?;
        let date = NaiveDate::parse_from_str(date.trim(), "%Y%m%d").ok()?;
        return Some(vec![
            Stated::set("action_effective_date", ymd(date)),
            Stated::set(
                "action_code",
                code.trim().trim_matches('"').to_ascii_uppercase(),
            ),
        ]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn words_and_columns_state_values() {
        let jan = NaiveDate::from_ymd_opt(2019, 1, 1);
        let (class, stated) = classify(
            "Change Cov to C and Price to 39",
            &cols(&[("COV", "C"), ("PRICE", "39")]),
            jan,
        );
        assert_eq!(class, Action::Change);
        assert_eq!(
            stated,
            [
                Stated::set("coverage", "C"),
                Stated::set("pricing_indicators", "39")
            ]
        );
        let (class, stated) = classify(
            "ADD CODE",
            &cols(&[("TOS ", "9,F"), ("BETOS", "D1E"), ("SHORT DESC", "x")]),
            jan,
        );
        assert_eq!(class, Action::Add);
        assert!(stated.contains(&Stated::set("types_of_service", "9;F")));
        assert!(stated.contains(&Stated::set("added_date", "2019-01-01")));
        let (class, stated) = classify("Discontinue ", &cols(&[("XREF CODE", "J1095")]), jan);
        assert_eq!(class, Action::Terminate);
        assert!(stated.contains(&Stated::set("termination_date", "2018-12-31")));
        assert!(stated.contains(&Stated::set("cross_references", "J1095")));
    }

    #[test]
    fn every_class_of_words() {
        let none = BTreeMap::new();
        for (words, class) in [
            ("Removed in error - add back to file", Action::Reinstate),
            ("Do not terminate", Action::DoNotTerminate),
            ("DELETE", Action::Remove),
            (
                "DO NOT ADD - Remove from previous corrections document",
                Action::Remove,
            ),
            ("Remove code", Action::Remove),
            ("Revise LD", Action::ReviseDescription),
            ("ReviseLong Description", Action::ReviseDescription),
            ("Revise Long & Short Desc", Action::ReviseDescription),
            ("Remove xref code Q0080", Action::Change),
            ("Add Lab Cert code 220", Action::Change),
            ("Add \"YY\" ASC Ind ", Action::Change),
            (
                "Action effective date should be 20080101 and action code \"N\"",
                Action::Change,
            ),
            (
                "Should not have been updated - revert back to 2017 description",
                Action::Unparsed,
            ),
            ("Change Ac", Action::Unparsed),
        ] {
            assert_eq!(classify(words, &none, None).0, class, "{words}");
        }
    }

    #[test]
    fn versions_from_names() {
        assert_eq!(version_from_name("V4_HCPC2018_Corrections_ANWEB.xlsx"), 4);
        assert_eq!(version_from_name("HCPC2019_Corrections_ALPHA_v2.prn"), 2);
        assert_eq!(
            version_from_name("HCPC2025_JAN_ANWEB_Corrections_12172024.xlsx"),
            1
        );
        assert_eq!(version_from_name("hcpc2017_corrections_alpha.txt"), 1);
    }
}
