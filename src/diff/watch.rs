//! Watch lists for compliance work: one code or range per line (`E1392`, `E0424-E1406`),
//! blank lines and `#` comments ignored.

use super::CodeRange;

#[derive(Debug, thiserror::Error)]
#[error("{file}: line {line}: {problem}")]
pub struct WatchError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

pub fn parse(file: &str, text: &str) -> Result<Vec<CodeRange>, WatchError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        let range = entry.parse::<CodeRange>().map_err(|problem| WatchError {
            file: file.to_string(),
            line: i + 1,
            problem,
        })?;
        out.push(range);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_ranges_and_comments() {
        let text = "# oxygen\nE1392\n\nE0424-E0444  # stationary\nrr\n";
        let ranges = parse("watch.txt", text).unwrap();
        assert_eq!(ranges.len(), 3);
        assert!(ranges[1].contains("E0431"));
        assert!(!ranges[1].contains("E0450"));
        assert!(ranges[2].contains("RR"));
        let err = parse("watch.txt", "E1392\nE14-\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "watch.txt: line 2: 'E14-' is not a code or a range of codes like E0424-E1406"
        );
    }
}
