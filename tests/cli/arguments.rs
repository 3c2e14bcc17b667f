//! Arguments that could be read two ways, through the binary: a release id that is also the
//! name of a folder here, an empty `--prefix`, a reversed `--range`.

use crate::util::{fixture, oxygen, stderr, stdout};

/// A folder named like a stored release does not shadow it: the stored release is read, and a
/// note says how to read the folder (`./2005`), which then is read.
#[test]
fn a_stored_release_id_wins_over_a_folder_of_that_name_here() {
    let work = oxygen();
    // A folder `2005` here holding the 2006 release: read as a path, 2005 -> 2006 would be
    // the same release twice, with no changes.
    let here = work.dir.path();
    std::fs::create_dir(here.join("2005")).unwrap();
    std::fs::copy(
        fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt"),
        here.join("2005/HCPC2006_CONTR_ANWEB.txt"),
    )
    .unwrap();
    let out = work
        .cmd()
        .current_dir(here)
        .args(["diff", "2005", "2006"])
        .assert()
        .code(1);
    assert!(
        stdout(&out).starts_with("HCPCS 2005-01 -> 2006-01\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(
            "note: '2005' is the stored release 2005-01; a file or folder of that name is here too: write ./2005 to read it"
        ),
        "{}",
        stderr(&out)
    );
    let out = work
        .cmd()
        .current_dir(here)
        .args(["diff", "./2005", "2006"])
        .assert()
        .code(0);
    assert!(
        stdout(&out).starts_with("HCPCS 2006-01 -> 2006-01\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn an_empty_prefix_is_refused_not_taken_for_every_code() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--prefix", ""])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "--prefix '': an empty prefix would match every code; leave --prefix out for every code"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_reversed_range_is_said_to_be_reversed() {
    let work = oxygen();
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--range", "E9999-E0001"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains(
            "'E9999-E0001' is reversed: its first code comes after its last (did you mean E0001-E9999?)"
        ),
        "{}",
        stderr(&out)
    );
    let watch = work.write("watch.txt", "E1392\nE1399-E1390\n");
    let out = work
        .cmd()
        .args(["diff", "2005", "2006", "--watch"])
        .arg(&watch)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("watch.txt: line 2: 'E1399-E1390' is reversed"),
        "{}",
        stderr(&out)
    );
}
