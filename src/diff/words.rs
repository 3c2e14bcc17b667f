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

pub fn words(old: &str, new: &str) -> Vec<Span> {
    let diff = TextDiff::from_words(old, new);
    let mut out = Vec::new();
    let (mut removed, mut inserted) = (String::new(), String::new());
    let flush = |out: &mut Vec<Span>, removed: &mut String, inserted: &mut String| {
        if removed.is_empty() && inserted.is_empty() {
            return;
        }
        let trailing_space = removed.ends_with(' ') || inserted.ends_with(' ');
        let (r, i) = (removed.trim().to_string(), inserted.trim().to_string());
        if !r.is_empty() {
            out.push(Span::Removed(r.clone()));
        }
        if !i.is_empty() {
            if !r.is_empty() {
                out.push(Span::Same(" ".into()));
            }
            out.push(Span::Inserted(i));
        }
        if trailing_space {
            out.push(Span::Same(" ".into()));
        }
        removed.clear();
        inserted.clear();
    };
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
            "flow [-rate-] {+rate, each+}"
        );
        assert_eq!(
            marked(
                "Services provided at off-campus departments",
                "Excepted service provided at an off-campus department"
            ),
            "[-Services-] {+Excepted service+} provided at {+an+} off-campus [-departments-] {+department+}"
        );
        assert_eq!(marked("same words", "same words"), "same words");
    }
}
