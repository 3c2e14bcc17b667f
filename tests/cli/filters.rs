//! Filters name real codes: every `--code`, `--range` and watch-list entry has the shape of a
//! HCPCS Level II code and holds a code of OLD or NEW, or the command stops (exit 2) naming
//! each offending entry, so that a mistyped watch never reads as "nothing changed".

use crate::util::{Work, fixture, oxygen, real_data, stderr, stdout, zip_of};

#[test]
fn an_unknown_code_is_refused_with_the_nearest_existing_code() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--code", "E1932"])
        .assert()
        .code(2);
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        "error: E1932: in neither release; did you mean E1392?\n"
    );
    // Read on the fly, the releases are checked the same way.
    let out = work
        .cmd()
        .arg("diff")
        .arg(fixture("oxygen/2005"))
        .arg(fixture("oxygen/2006"))
        .args(["--code", "e1932"])
        .assert()
        .code(2);
    assert!(stderr(&out).contains("E1932: in neither release; did you mean E1392?"));
    // A code in only one of the two releases is fine: E1392 is new in 2006.
    work.cmd()
        .args(["diff", "2005", "2006", "--code", "E1392"])
        .assert()
        .code(1);
}

#[test]
fn codes_must_have_the_shape_of_a_code_or_a_modifier() {
    let work = oxygen();
    for bad in ["E04XX", "1392E", "E139", "RRR"] {
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--code", bad])
            .assert()
            .code(2);
        assert!(
            stderr(&out).contains(&format!(
                "--code: '{bad}' is not a code or a range of codes like E0424-E1406 (a code is \
                 a letter and four digits, a modifier two letters or digits)"
            )),
            "{}",
            stderr(&out)
        );
    }
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--range", "E04XX-E0500"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("'E04XX-E0500' is not a code"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_bad_watch_entry_is_named_with_its_line() {
    let work = oxygen();
    let watch = work.write(
        "watch.txt",
        "# what we bill\nE0424-E0431\nE04XX   # a prefix is not a code\nK0738\n",
    );
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--watch"])
        .arg(&watch)
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: line 3: 'E04XX' is not a code or a range of codes like E0424-E1406 (a \
             code is a letter and four digits, a modifier two letters or digits)\n",
            watch.display()
        )
    );
    let watch = work.write(
        "watch.txt",
        "E0424-E0431\nE1932  # typo\nE2000-E2999\nRR\nZZ\n",
    );
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--watch"])
        .arg(&watch)
        .assert()
        .code(2);
    let w = watch.display();
    assert_eq!(
        stderr(&out),
        format!(
            "error: {w}: line 2: E1932: in neither release; did you mean E1392?\n\
             error: {w}: line 3: E2000-E2999: no code of either release is in this range\n\
             error: {w}: line 5: ZZ: in neither release\n"
        )
    );
}

#[test]
fn an_empty_or_comment_only_watch_file_is_refused() {
    let work = oxygen();
    for text in ["", "# nothing yet\n\n   # still nothing\n"] {
        let watch = work.write("watch.txt", text);
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--watch"])
            .arg(&watch)
            .assert()
            .code(2);
        assert_eq!(
            stderr(&out),
            format!(
                "error: {}: no code or range in it: an empty watch list would watch every code\n",
                watch.display()
            )
        );
    }
}

/// `check` checks the filters against the releases it diffs, and when nothing is new, against
/// the newest stored one; either way nothing is stored.
#[test]
fn check_refuses_a_mistyped_watch_and_stores_nothing() {
    let work = Work::with(&[fixture("oxygen/2005")]);
    let mirror = work.path("mirror");
    std::fs::create_dir(&mirror).unwrap();
    let watch = work.write("watch.txt", "E0424\nE0413\n");
    let before = work.store_state();
    let out = work
        .cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .arg("--watch")
        .arg(&watch)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("line 2: E0413: in neither release; did you mean E0431?"),
        "{}",
        stderr(&out)
    );
    let name = "HCPC2006_CONTR_ANWEB.txt";
    let text = std::fs::read(fixture(&format!("oxygen/2006/{name}"))).unwrap();
    std::fs::write(
        mirror.join("april-2005-alpha-numeric-hcpcs-file.zip"),
        zip_of(&[(name, text.as_slice())]),
    )
    .unwrap();
    let out = work
        .cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .arg("--watch")
        .arg(&watch)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("E0413: in neither release"),
        "{}",
        stderr(&out)
    );
    assert_eq!(work.store_state(), before);
    let good = work.write("good.txt", "E0424\nE1392  # new in April\n");
    work.cmd()
        .args(["check", "--base-url"])
        .arg(&mirror)
        .arg("--watch")
        .arg(&good)
        .assert()
        .code(1);
}

#[test]
fn a_mistyped_real_code_is_refused() {
    let Some(data) = real_data!() else {
        return;
    };
    let work = crate::real_releases::imported(&data);
    let out = work
        .cmd()
        .args(["diff", "2019-01", "2020-01", "--code", "E1932"])
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        "error: E1932: in neither release; did you mean E1392?\n"
    );
    let out = work
        .cmd()
        .args(["diff", "2019-01", "2020-01", "--range", "E0000-E0099"])
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        "error: --range E0000-E0099: no code of either release is in this range\n"
    );
    work.cmd()
        .args(["diff", "2019-01", "2020-01", "--code", "E1392"])
        .assert()
        .code(0);
}

/// A prefix no code starts with (E99 for E09, a letter CMS does not use) would filter the
/// report to nothing: refused like a mistyped code, while a real prefix still narrows it.
#[test]
fn a_prefix_that_matches_no_code_is_refused() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--prefix", "E99", "--prefix", "Z"])
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        "error: --prefix E99: no code of either release starts with it\nerror: --prefix Z: no code of either release starts with it\n"
    );
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--prefix", "k0", "--format", "json"])
        .assert()
        .code(1);
    assert!(
        stdout(&out).contains("\"code\": \"K0738\""),
        "{}",
        stdout(&out)
    );
}

/// `show` and `history` name the nearest code for a typo, as the filters do.
#[test]
fn show_and_history_suggest_the_nearest_code_for_a_typo() {
    let work = oxygen();
    for (args, wanted) in [
        (
            vec!["show", "E1932"],
            "error: E1932 is not in release 2006-01; did you mean E1392?\n",
        ),
        (
            vec!["history", "E1932"],
            "error: E1932 is in none of the 2 stored releases; did you mean E1392?\n",
        ),
        (
            vec!["show", "E1932", "--on", "2006-02-01"],
            "error: E1932 is in none of the 2 stored releases; did you mean E1392?\n",
        ),
    ] {
        let out = work.cmd().args(&args).assert().code(2);
        assert_eq!(stderr(&out), wanted, "{args:?}");
    }
}
