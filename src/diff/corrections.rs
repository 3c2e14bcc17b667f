//! Changes that CMS's own corrections account for. A code CMS's corrections to OLD added, put
//! back, discontinued or removed shows up as added, reinstated, retired or dropped between OLD
//! and NEW although nothing new happened: the file of OLD was wrong, and the corrections said
//! so. Likewise a field that a correction of OLD changes to NEW's value, or that a correction
//! of NEW states as it stands. Such a code is marked with the corrections that explain it (a
//! report lists it in a section of its own), and CMS's action codes are no longer said to
//! disagree with it.

use serde::Serialize;

use super::{Change, Changeset, CodeChange, FieldChange, cosmetic_only};
use crate::model::ReleaseId;
use crate::model::correction::{Action, Correction, CorrectionsFile, Op, for_code};

/// A correction that explains a change, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The release the correction is to.
    pub release: ReleaseId,
    pub file: String,
    pub version: u32,
    /// CMS's words.
    pub action: String,
    pub class: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<chrono::NaiveDate>,
    pub at: String,
}

impl Explanation {
    fn of(release: ReleaseId, file: &CorrectionsFile, c: &Correction) -> Self {
        Explanation {
            release,
            file: file.name.clone(),
            version: file.version,
            action: c.action.clone(),
            class: c.class,
            effective: c.effective,
            at: c.at.clone(),
        }
    }

    /// "ADD CODE (correction to 2019-01, HCPC2019_Corrections_ALPHA.xlsx version 1, ...)".
    pub fn words(&self) -> String {
        let name = self.file.rsplit('/').next().unwrap_or(&self.file);
        let when = self
            .effective
            .map(|d| format!("effective {d}; "))
            .unwrap_or_default();
        format!(
            "{} ({when}correction to {}: {name}, version {}, {})",
            self.action, self.release, self.version, self.at
        )
    }
}

/// The corrections kept with a release.
#[derive(Debug, Clone, Copy)]
pub struct Kept<'a> {
    pub release: ReleaseId,
    pub files: &'a [CorrectionsFile],
}

/// Marks each change of `set` that the corrections of OLD or NEW explain, and drops the
/// disagreements with CMS's action codes that they explain.
pub fn explain(set: &mut Changeset, old: Kept, new: Kept) {
    for c in &mut set.changes {
        c.explained_by = explanations(c, old, new);
    }
    let explained: Vec<String> = set
        .changes
        .iter()
        .filter(|c| !c.explained_by.is_empty())
        .map(|c| c.code.clone())
        .collect();
    let mut kept = Vec::new();
    for d in std::mem::take(&mut set.disagreements) {
        // A NEW whose action code CMS corrected says nothing about what changed.
        let action_corrected = for_code(new.files, &d.code)
            .iter()
            .any(|(_, c)| c.stated.iter().any(|s| s.field == "action_code"));
        if explained.contains(&d.code) || action_corrected {
            set.explained_disagreements.push(d);
        } else {
            kept.push(d);
        }
    }
    set.disagreements = kept;
}

fn explanations(c: &CodeChange, old: Kept, new: Kept) -> Vec<Explanation> {
    let in_old = for_code(old.files, &c.code);
    let in_new = for_code(new.files, &c.code);
    let of_old = |classes: &[Action]| -> Vec<Explanation> {
        in_old
            .iter()
            .filter(|(_, k)| classes.contains(&k.class))
            .map(|(f, k)| Explanation::of(old.release, f, k))
            .collect()
    };
    match c.change {
        Change::Added => of_old(&[Action::Add, Action::Reinstate]),
        Change::Retired => of_old(&[Action::Terminate]),
        Change::Dropped => of_old(&[Action::Remove, Action::Terminate]),
        Change::Reinstated => of_old(&[Action::DoNotTerminate, Action::Reinstate]),
        Change::Changed => {
            let mut out: Vec<Explanation> = Vec::new();
            for f in c.fields.iter().filter(|f| !f.cosmetic) {
                let by_old = in_old.iter().find(|(_, k)| states(k, f));
                let by_new = in_new.iter().find(|(_, k)| states(k, f));
                let Some((file, k, release)) = by_old
                    .map(|(file, k)| (file, k, old.release))
                    .or(by_new.map(|(file, k)| (file, k, new.release)))
                else {
                    // One change no correction states: the code is not explained.
                    return Vec::new();
                };
                let e = Explanation::of(release, file, k);
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            out
        }
    }
}

/// Whether correction `k` states NEW's value of the changed field `f`.
fn states(k: &Correction, f: &FieldChange) -> bool {
    let new: Vec<&str> = f.new.iter().map(String::as_str).collect();
    k.stated
        .iter()
        .filter(|s| s.field == f.field)
        .any(|s| match s.op {
            Op::Set => {
                let stated: Vec<&str> = s.value.split(';').collect();
                stated == new || (new.len() == 1 && cosmetic_only(&s.value, new[0]))
            }
            Op::Include => new.contains(&s.value.as_str()),
            Op::Exclude if s.value.is_empty() => new.is_empty(),
            Op::Exclude => !new.contains(&s.value.as_str()),
        })
}
