//! Word-level comparison of two descriptions (similar), for renderers to highlight. Runs of
//! changed words are gathered into one removed and one inserted span, so a reworded phrase
//! reads as "[-old phrase-] {+new phrase+}" rather than word against word.

use similar::{ChangeTag, TextDiff};

/// A run of text: kept, removed from OLD, or inserted in NEW.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Same(String),
    Removed(String),
    Inserted(String),
}

/// The spans of `old` against `new`. Exact: the `Same` and `Removed` spans in order spell
/// `old`, the `Same` and `Inserted` spans spell `new`, white space included. White space that
/// both sides of a changed run share at its ends is kept out of the run.
pub fn words(old: &str, new: &str) -> Vec<Span> {
    let diff = TextDiff::from_words(old, new);
    let mut out = Vec::new();
    let (mut removed, mut inserted) = (String::new(), String::new());
    for change in diff.iter_all_changes() {
        let word = change.value();
        let in_run = !removed.is_empty() || !inserted.is_empty();
        match change.tag() {
            ChangeTag::Equal if in_run && word.trim().is_empty() => {
                removed.push_str(word);
                inserted.push_str(word);
            }
            ChangeTag::Equal => {
                flush(&mut out, &mut removed, &mut inserted);
                out.push(Span::Same(word.to_string()));
            }
            ChangeTag::Delete => removed.push_str(word),
            ChangeTag::Insert => inserted.push_str(word),
        }
    }
    flush(&mut out, &mut removed, &mut inserted);
    out
}

/// Ends a run of changed words: the white space both sides share at the start and at the end
/// becomes `Same`, the rest `Removed` and `Inserted`.
fn flush(out: &mut Vec<Span>, removed: &mut String, inserted: &mut String) {
    if removed.is_empty() && inserted.is_empty() {
        return;
    }
    let lead = common_space(removed.chars(), inserted.chars());
    let trail = common_space(
        removed[lead..].chars().rev(),
        inserted[lead..].chars().rev(),
    );
    if lead > 0 {
        out.push(Span::Same(removed[..lead].to_string()));
    }
    let r = &removed[lead..removed.len() - trail];
    let i = &inserted[lead..inserted.len() - trail];
    if !r.is_empty() {
        out.push(Span::Removed(r.to_string()));
    }
    if !i.is_empty() {
        out.push(Span::Inserted(i.to_string()));
    }
    if trail > 0 {
        out.push(Span::Same(removed[removed.len() - trail..].to_string()));
    }
    removed.clear();
    inserted.clear();
}

/// Bytes of white space that two sequences start with in common (both must be non-empty
/// after it, or the run would lose its only text).
fn common_space(a: impl Iterator<Item = char>, b: impl Iterator<Item = char>) -> usize {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut n = 0;
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        if x != y || !x.is_whitespace() {
            break;
        }
        n += x.len_utf8();
        a.next();
        b.next();
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(old: &str, new: &str) -> String {
        words(old, new)
            .into_iter()
            .map(|s| match s {
                Span::Same(w) => w,
                Span::Removed(w) => format!("[-{w}-]"),
                Span::Inserted(w) => format!("{{+{w}+}}"),
            })
            .collect()
    }

    #[test]
    fn changed_words_are_gathered_into_phrases() {
        assert_eq!(
            marked("flow rate", "flow rate, each"),
            "flow [-rate-]{+rate, each+}"
        );
        assert_eq!(
            marked(
                "Services provided at off-campus departments",
                "Excepted service provided at an off-campus department"
            ),
            "[-Services-]{+Excepted service+} provided at {+an +}off-campus [-departments-]{+department+}"
        );
        assert_eq!(marked("same words", "same words"), "same words");
    }

    fn spelled(spans: &[Span], side: bool) -> String {
        spans
            .iter()
            .filter_map(|s| match s {
                Span::Same(w) => Some(w.as_str()),
                Span::Removed(w) if !side => Some(w.as_str()),
                Span::Inserted(w) if side => Some(w.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn spans_spell_both_texts_exactly() {
        for (old, new) in [
            (
                "at three months (6 ? 20 weeks) and",
                "at three months (6-20 weeks) and",
            ),
            ("and/or follow up fs status survey near", "and/or near"),
            ("a  b", "a b"),
            (" lead", "lead "),
            ("x", ""),
            ("", "y"),
        ] {
            let spans = words(old, new);
            assert_eq!(spelled(&spans, false), old, "{spans:?}");
            assert_eq!(spelled(&spans, true), new, "{spans:?}");
        }
        assert_eq!(
            marked(
                "at three months (6 ? 20 weeks)",
                "at three months (6-20 weeks)"
            ),
            "at three months [-(6 ? 20-]{+(6-20+} weeks)"
        );
    }
}
