//! Where CMS posts each release. The quarterly-update landing page links every zip; the
//! names are not fully regular, so its links come first and a table of the names CMS has used
//! is the fallback. A mirror that copies CMS's paths works by changing the base URL.

use crate::model::ReleaseId;

pub const CMS_BASE_URL: &str = "https://www.cms.gov";

/// The page that links every quarterly file (path under the base URL).
const LANDING: &str =
    "/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update";

/// Paths CMS has used for a release's zip, `{month}`, `{year}` and `{yy}` (the year's last two
/// digits) filled in, most recent convention first. (`-files` was used for October 2023,
/// January and April 2024; the 2024 annual was also posted by year alone; annual files before
/// 2020 lived under Downloads/: `YYYY-Alpha-Numeric-HCPCS-File.zip` from 2016,
/// `2015-Annual-Alpha-Numeric-HCPCS-File.zip` for 2015, `YYanweb.zip` for 2011-2014, e.g.
/// `12anweb.zip`, and `anhcpcYY.zip` for 2005 and the years near it.)
const PATTERNS: &[&str] = &[
    "/files/zip/{month}-{year}-alpha-numeric-hcpcs-file.zip",
    "/files/zip/{month}-{year}-alpha-numeric-hcpcs-files.zip",
    "/files/zip/{year}-alpha-numeric-hcpcs-file.zip",
    "/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/{year}-Alpha-Numeric-HCPCS-File.zip",
    "/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/{year}-Annual-Alpha-Numeric-HCPCS-File.zip",
    "/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/{yy}anweb.zip",
    "/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/anhcpc{yy}.zip",
];

pub fn landing_page(base_url: &str) -> String {
    format!("{}{LANDING}", base_url.trim_end_matches('/'))
}

/// Every URL to try for `release`: the landing page's links that name it, then the table.
/// The year-only patterns are for January (annual) releases alone.
pub fn urls(base_url: &str, landing_html: &str, release: ReleaseId) -> Vec<String> {
    let base = base_url.trim_end_matches('/');
    let mut out: Vec<String> = links(landing_html)
        .into_iter()
        .filter(|href| names_release(href, release))
        .map(|href| {
            if href.starts_with("http") {
                href
            } else {
                format!("{base}{href}")
            }
        })
        .collect();
    for pattern in PATTERNS {
        if !pattern.contains("{month}") && release.month != 1 {
            continue;
        }
        let url = format!(
            "{base}{}",
            pattern
                .replace("{month}", release.month_name())
                .replace("{year}", &release.year.to_string())
                .replace("{yy}", &format!("{:02}", release.year % 100))
        );
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// The `href`s of `<a>` elements that point at zip files.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.to_ascii_lowercase().ends_with(".zip"))
        .map(str::to_string)
        .collect()
}

/// Whether a zip's name is the alpha-numeric file of `release` (`april-2026-alpha-numeric-...`).
fn names_release(href: &str, release: ReleaseId) -> bool {
    let name = href.rsplit('/').next().unwrap_or(href).to_ascii_lowercase();
    name.contains("alpha-numeric")
        && !name.contains("correction")
        && name.starts_with(&format!("{}-{}", release.month_name(), release.year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_page_links_come_before_the_table() {
        let html = r#"<a href="/files/zip/april-2024-alpha-numeric-hcpcs-files.zip">April</a>
            <a href="/files/zip/january-2024-alpha-numeric-hcpcs-files.zip">January</a>
            <a href="/files/zip/april-2024-alpha-numeric-hcpcs-file-corrections.zip">fix</a>"#;
        let urls = urls("https://mirror.example/", html, "2024-04".parse().unwrap());
        assert_eq!(
            urls[0],
            "https://mirror.example/files/zip/april-2024-alpha-numeric-hcpcs-files.zip"
        );
        assert_eq!(
            urls[1],
            "https://mirror.example/files/zip/april-2024-alpha-numeric-hcpcs-file.zip"
        );
        assert_eq!(
            urls.len(),
            2,
            "no year-only or correction URLs for a quarterly release: {urls:?}"
        );
    }

    #[test]
    fn annual_releases_also_try_the_older_names() {
        let urls = urls(CMS_BASE_URL, "", "2019-01".parse().unwrap());
        assert!(urls.contains(
            &"https://www.cms.gov/files/zip/january-2019-alpha-numeric-hcpcs-file.zip".to_string()
        ));
        assert!(urls.contains(
            &"https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/2019-Alpha-Numeric-HCPCS-File.zip".to_string()
        ));
    }

    #[test]
    fn the_names_cms_used_before_2016_are_tried_for_annual_releases() {
        let downloads = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/";
        for (release, name) in [
            ("2012-01", "12anweb.zip"),
            ("2014-01", "14anweb.zip"),
            ("2005-01", "anhcpc05.zip"),
            ("2015-01", "2015-Annual-Alpha-Numeric-HCPCS-File.zip"),
        ] {
            let urls = urls(CMS_BASE_URL, "", release.parse().unwrap());
            assert!(
                urls.contains(&format!("{downloads}{name}")),
                "{release}: {urls:?}"
            );
        }
        // Quarterly updates were never posted under these names.
        let april = urls(CMS_BASE_URL, "", "2012-04".parse().unwrap());
        assert!(
            april
                .iter()
                .all(|u| !u.contains("anweb") && !u.contains("anhcpc")),
            "{april:?}"
        );
    }
}
