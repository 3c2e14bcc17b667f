//! A fresh folder per test with its own store, and helpers to reach the fixtures and the real
//! CMS files beside the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use tempfile::TempDir;

/// `../shared/hcpcs`, which CI provides read-only. Tests fail (not skip) without it.
pub fn shared(rel: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/hcpcs");
    assert!(
        root.is_dir(),
        "the real CMS releases are expected at {}",
        root.display()
    );
    root.join(rel)
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub struct Work {
    pub dir: TempDir,
}

impl Work {
    pub fn new() -> Self {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// The binary, pointed at this folder's store.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("hcpcs-diff").unwrap();
        c.arg("--store")
            .arg(self.store())
            .env_remove("HCPCS_DIFF_STORE")
            .env("NO_COLOR", "1");
        c
    }

    /// A work folder whose store holds these releases.
    pub fn with(sources: &[PathBuf]) -> Self {
        let work = Work::new();
        for s in sources {
            work.cmd().arg("import").arg(s).assert().success();
        }
        work
    }

    /// Every file in the store (and its downloads folder), by name, with its SHA-256. The lock
    /// file is left out: taking the lock creates it, and it holds nothing.
    pub fn store_state(&self) -> BTreeMap<String, String> {
        fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries {
                let e = e.unwrap();
                let name = format!("{prefix}{}", e.file_name().to_string_lossy());
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path(), &format!("{name}/"), out);
                } else if name != ".lock" {
                    out.insert(
                        name,
                        hcpcs_diff::source::sha256_hex(&std::fs::read(e.path()).unwrap()),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.store(), "", &mut out);
        out
    }
}

pub fn stdout(out: &Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(out: &Assert) -> String {
    String::from_utf8(out.get_output().stderr.clone()).expect("UTF-8 output")
}

pub fn json(out: &Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).expect("JSON output")
}

/// The members of a zip as (name, bytes).
pub fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut content = Vec::new();
            std::io::copy(&mut f, &mut content).unwrap();
            (name, content)
        })
        .collect()
}

/// Builds a zip of `members` in memory.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, bytes) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, bytes).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}
