//! Hostile input: files built to crash the tool, exhaust its memory or hang it, and faults of
//! the machine around it. Each ends with an error or a result (never a panic), within bounded
//! memory and time, and leaves the store as it was.

use crate::util::{Work, fixture, stderr, stdout};

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip of one stored member `name` holding `data`, whose central directory declares (through
/// a zip64 field) `declared` uncompressed bytes.
pub fn zip_declaring(name: &str, data: &[u8], declared: u64) -> Vec<u8> {
    let (crc, len) = (crc32(data), data.len() as u32);
    let name_len = name.len() as u16;
    let mut z = Vec::new();
    z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for v in [crc, len, len] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(&name_len.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(data);
    let cd_start = z.len() as u32;
    z.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    z.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for v in [crc, len, u32::MAX] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    for v in [name_len, 12, 0, 0, 0] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(&1u16.to_le_bytes());
    z.extend_from_slice(&8u16.to_le_bytes());
    z.extend_from_slice(&declared.to_le_bytes());
    let cd_len = z.len() as u32 - cd_start;
    z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd_start.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

/// The declared size is only a hint: the member is read for what it holds, and imports as the
/// same text does outside the zip.
#[test]
fn a_zip_member_declaring_2_to_the_63_bytes_imports_what_it_holds() {
    let work = Work::new();
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let path = work.write("huge.zip", zip_declaring("HCPC2006.txt", &text, 1 << 63));
    work.cmd().arg("import").arg(&path).assert().code(0);
    let plain = Work::with(&[fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")]);
    let records = |work: &Work| {
        let text = std::fs::read_to_string(work.store().join("2006-01.jsonl")).unwrap();
        text.lines().skip(1).map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(records(&work), records(&plain));
}

#[test]
fn list_shows_a_short_sha256_without_panicking() {
    let work = Work::with(&[fixture("oxygen/2005")]);
    let path = work.store().join("2005-01.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let sha = text
        .split("\"sha256\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    std::fs::write(&path, text.replacen(sha, "abc", 1)).unwrap();
    let out = work.cmd().arg("list").assert().success();
    assert!(stdout(&out).contains("sha256 abc\n"), "{}", stdout(&out));
}

/// A zip of one deflated member of `len` zero bytes: a few kilobytes that unpack to `len`.
fn zip_bomb(len: usize) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(len > u32::MAX as usize);
    zip.start_file("HCPC2006_CONTR_ANWEB.txt", options).unwrap();
    let block = vec![b'0'; 1 << 20];
    for _ in 0..len / block.len() {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_zip_bomb_stops_at_the_unpacked_cap() {
    let work = Work::new();
    let path = work.write("bomb.zip", zip_bomb(8 << 20));
    let out = work
        .cmd()
        .args(["--max-unpacked-mb", "2", "import"])
        .arg(&path)
        .assert()
        .code(2);
    assert_eq!(
        stderr(&out),
        "error: bomb.zip: member HCPC2006_CONTR_ANWEB.txt unpacks to more than 2097152 bytes \
         (--max-unpacked-mb): not a release, or a zip bomb\n"
    );
    assert!(!work.store().join("2006-01.jsonl").exists());
}

/// The members of a release zip that are not needed are not unpacked: a workbook beside the
/// text (by its first bytes) that would unpack past the cap does not stop the import of the
/// text, which is all the release is (it is unpacked only if no text holds the release, or to
/// repair characters the text has damaged).
#[test]
fn a_workbook_member_not_needed_is_not_unpacked() {
    use std::io::Write;
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("HCPC2006_CONTR_ANWEB.txt", options).unwrap();
    zip.write_all(&text).unwrap();
    // A zip's signature, then 8 MB of zeros: a few kilobytes packed.
    zip.start_file("HCPC2006_Transaction_Report.xlsx", options)
        .unwrap();
    zip.write_all(b"PK\x03\x04").unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..8 {
        zip.write_all(&block).unwrap();
    }
    let work = Work::new();
    let path = work.write("2006.zip", zip.finish().unwrap().into_inner());
    let out = work
        .cmd()
        .args(["--max-unpacked-mb", "2", "import"])
        .arg(&path)
        .assert()
        .code(0);
    assert!(
        stdout(&out).contains("2006.zip: release 2006-01"),
        "{}",
        stdout(&out)
    );
    let plain = Work::with(&[fixture("oxygen/2006")]);
    let records = |work: &Work| {
        let text = std::fs::read_to_string(work.store().join("2006-01.jsonl")).unwrap();
        text.lines().skip(1).map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(records(&work), records(&plain));
}

/// An xlsx whose only cells are A1 and the last cell a sheet can have, XFD1048576.
fn far_cell_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "HCPC").unwrap();
    sheet.write_string(1_048_575, 16_383, "far").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn an_xlsx_cell_at_xfd1048576_allocates_nothing_for_the_space_between() {
    let work = Work::new();
    let path = work.write("far.xlsx", far_cell_xlsx());
    // Walking the 17 billion cells between A1 and XFD1048576 would take hours (or the memory
    // of a dense grid, an abort); reading the two cells present takes well under a second. The
    // limit only stops a run that went that way, a hundred times what a busy machine needs.
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("far.xlsx: no sheet has the HCPCS header row"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_xlsx_part_that_unpacks_past_the_cap_is_refused_before_calamine() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let long = "0".repeat(30_000);
    for row in 0..200 {
        sheet.write_string(row, 0, format!("{row}{long}")).unwrap();
    }
    let work = Work::new();
    let path = work.write("big.xlsx", book.save_to_buffer().unwrap());
    let out = work
        .cmd()
        .args(["--max-unpacked-mb", "1", "import"])
        .arg(&path)
        .args(["--release", "2006"])
        .assert()
        .code(2);
    assert!(
        stderr(&out)
            .contains("big.xlsx: part xl/sharedStrings.xml unpacks to more than 1048576 bytes"),
        "{}",
        stderr(&out)
    );
}

/// A FIFO (named pipe) made in the work folder.
fn fifo_at(work: &Work, name: &str) -> std::path::PathBuf {
    let fifo = work.path(name);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    fifo
}

#[test]
fn a_fifo_a_device_or_a_socket_is_refused_at_once_as_source_or_watch_list() {
    let work = Work::with(&[fixture("oxygen/2005"), fixture("oxygen/2006")]);
    let fifo = fifo_at(&work, "pipe");
    let socket = work.path("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let device = std::path::PathBuf::from("/dev/zero");
    let cases = [
        (&fifo, "a FIFO (named pipe)"),
        (&socket, "a socket"),
        (&device, "a device"),
    ];
    // A FIFO with no writer blocks its reader for ever and /dev/zero never ends: a command that
    // opened one would not return. The limit only stops such a run (refusing takes
    // milliseconds); the exit status and the message are what the test checks.
    let limit = std::time::Duration::from_secs(60);
    for (path, what) in cases {
        let out = work
            .cmd()
            .arg("import")
            .arg(path)
            .timeout(limit)
            .assert()
            .code(2);
        assert!(
            stderr(&out).contains(&format!("is {what}, not a regular file")),
            "{}",
            stderr(&out)
        );
        let out = work
            .cmd()
            .args(["diff", "2005", "2006", "--watch"])
            .arg(path)
            .timeout(limit)
            .assert()
            .code(2);
        assert!(
            stderr(&out).contains(&format!("is {what}, not a regular file")),
            "{}",
            stderr(&out)
        );
    }
}

/// `--output` naming a FIFO (or `/dev/null`) writes into it: renaming a temporary file over it
/// would leave a plain file where the pipe or device was. SQLite, which needs a real file, is
/// refused one.
#[test]
fn an_output_that_is_a_fifo_is_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let work = Work::with(&[fixture("oxygen/2005"), fixture("oxygen/2006")]);
    let fifo = fifo_at(&work, "report.pipe");
    let (sent, received) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || sent.send(std::fs::read_to_string(fifo).unwrap()));
    }
    work.cmd()
        .args(["diff", "2005-01", "2006-01", "--output"])
        .arg(&fifo)
        .assert()
        .code(1);
    let still_fifo = std::fs::metadata(&fifo).is_ok_and(|m| m.file_type().is_fifo());
    if !still_fifo {
        // Replaced: the reader still waits on the old pipe; nothing more to learn.
        panic!("the FIFO was replaced by a file");
    }
    let report = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the report reached the FIFO");
    assert!(report.starts_with("HCPCS 2005-01 -> 2006-01\n"), "{report}");
    let out = work
        .cmd()
        .args(["export", "--format", "sqlite", "--output"])
        .arg(&fifo)
        .assert()
        .code(2);
    assert!(
        stderr(&out)
            .contains("is a FIFO (named pipe): a file is written whole and renamed into place"),
        "{}",
        stderr(&out)
    );
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_bad_csv_row_is_named_by_its_line_in_the_file() {
    use crate::forms::{Sheet, csv_file, sample};
    let csv = csv_file(&sample(), Sheet::PerCode);
    let mut lines: Vec<Vec<u8>> = csv.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    // The first record, on line 2, gets an added date that is not a date.
    let line = String::from_utf8(lines[1].clone()).unwrap();
    assert!(line.contains(",20080101,"), "{line}");
    lines[1] = line.replacen(",20080101,", ",2008X101,", 1).into_bytes();
    let work = Work::new();
    let path = work.write("bad.csv", lines.join(&b'\n'));
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("bad.csv: line 2: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_io_error_is_said_once() {
    let work = Work::new();
    let file = work.write("plain-file", "x");
    let out = assert_cmd::Command::cargo_bin("hcpcs-diff")
        .unwrap()
        .arg("--store")
        .arg(file.join("store"))
        .arg("import")
        .arg(fixture("oxygen/2005"))
        .assert()
        .code(2);
    let err = stderr(&out);
    assert_eq!(err.matches("Not a directory").count(), 1, "{err}");
}

#[test]
fn a_folder_of_only_notes_and_reports_says_it_holds_no_release_file() {
    let work = Work::new();
    let dir = work.path("notes");
    std::fs::create_dir(&dir).unwrap();
    // As in CMS's proc_notes: an indented note line whose column 11 happens to be a 3.
    let mut notes: String = (100..150)
        .map(|n| format!("  0{n}--SEE NEW OR ESTABLISHED VISIT CODES.\r\n"))
        .collect();
    notes.push_str("\t  0156--1833(+)(2)(B) OF THE ACT; CY 2008 OPPS/ASC FINAL RULE\r\n");
    std::fs::write(dir.join("proc_notes_2016.txt"), notes).unwrap();
    std::fs::write(dir.join("HCPC2016_README.txt"), "The 2016 HCPCS file.\r\n").unwrap();
    let out = work.cmd().arg("import").arg(&dir).assert().code(2);
    assert_eq!(
        stderr(&out),
        "error: notes: no HCPCS release file in it (looked at: HCPC2016_README.txt, proc_notes_2016.txt)\n"
    );
}

#[test]
fn invalid_utf8_in_a_snapshot_names_its_line() {
    let work = Work::with(&[fixture("oxygen/2005"), fixture("oxygen/2006")]);
    let path = work.store().join("2006-01.jsonl");
    let mut lines: Vec<Vec<u8>> = std::fs::read(&path)
        .unwrap()
        .split(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    lines[3].splice(3..3, [0xFF]);
    std::fs::write(&path, lines.join(&b'\n')).unwrap();
    for args in [
        vec!["diff", "2005", "2006"],
        vec!["show", "E1390", "--release", "2006"],
        vec!["export", "2006"],
    ] {
        let out = work.cmd().args(&args).assert().code(2);
        assert!(
            stderr(&out).contains(
                "2006-01.jsonl: line 4: not a snapshot this tool can read: invalid UTF-8"
            ),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// The store's files, leftovers of a killed run (`.tmp-*`, `.download-*`) aside.
fn without_leftovers(work: &Work) -> std::collections::BTreeMap<String, String> {
    let mut state = work.store_state();
    state.retain(|name, _| {
        let base = name.rsplit('/').next().unwrap_or(name);
        !base.starts_with(".tmp-") && !base.starts_with(".download-")
    });
    state
}

fn leftovers(work: &Work) -> Vec<String> {
    let all = work.store_state();
    let kept = without_leftovers(work);
    all.into_keys().filter(|k| !kept.contains_key(k)).collect()
}

#[test]
fn the_next_run_holding_the_lock_removes_a_killed_runs_temporary_files() {
    let work = Work::with(&[fixture("oxygen/2005")]);
    std::fs::create_dir_all(work.store().join("downloads")).unwrap();
    std::fs::write(work.store().join(".tmp-a1b2c3"), "half a snapshot").unwrap();
    std::fs::write(work.store().join("downloads/.download-x9"), "half a zip").unwrap();
    // A reader leaves them alone (it holds no lock: a writer may be running).
    work.cmd().arg("list").assert().success();
    assert_eq!(leftovers(&work).len(), 2);
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert_eq!(leftovers(&work), Vec::<String>::new());
}

#[test]
fn an_import_killed_at_any_point_leaves_the_store_before_or_after() {
    use std::time::Duration;
    let work = Work::with(&[fixture("oxygen/2005")]);
    let before = without_leftovers(&work);
    let done = Work::with(&[fixture("oxygen/2005"), fixture("oxygen/2006")]);
    let after = without_leftovers(&done);
    // How long an import takes here, to spread the kills over it.
    let started = std::time::Instant::now();
    done.cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    let span = started.elapsed().as_micros().max(1000) as u64 * 3 / 2;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let (mut killed_before, mut killed_after) = (0, 0);
    for _ in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hcpcs-diff"))
            .arg("--store")
            .arg(work.store())
            .arg("import")
            .arg(fixture("oxygen/2006"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % span));
        let _ = child.kill();
        let _ = child.wait();
        let state = without_leftovers(&work);
        if state == before {
            killed_before += 1;
        } else {
            assert_eq!(state, after, "a killed import left the store half-written");
            killed_after += 1;
            std::fs::remove_file(work.store().join("2006-01.jsonl")).unwrap();
        }
    }
    assert!(
        killed_before > 0,
        "no kill landed before the snapshot was written"
    );
    // The next command works and leaves nothing behind.
    work.cmd()
        .arg("import")
        .arg(fixture("oxygen/2006"))
        .assert()
        .success();
    assert_eq!(work.store_state(), after);
    eprintln!("killed before: {killed_before}, after: {killed_after}");
}

#[test]
fn csv_line_numbers_count_blank_lines_and_quoted_line_breaks() {
    use crate::forms::{Sheet, csv_file, sample};
    let csv = csv_file(&sample(), Sheet::PerCode);
    let mut lines: Vec<Vec<u8>> = csv.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    // A blank line above the header, a description broken over two lines in the first record:
    // the second record starts on line 5 of the file.
    let first = String::from_utf8(lines[1].clone()).unwrap();
    lines[1] = first
        .replacen("Ambulance response", "Ambulance\nresponse", 1)
        .into_bytes();
    let second = String::from_utf8(lines[2].clone()).unwrap();
    assert!(second.contains(",19900101,"), "{second}");
    lines[2] = second.replacen(",19900101,", ",1990X101,", 1).into_bytes();
    lines.insert(0, Vec::new());
    let work = Work::new();
    // Windows line ends, as Excel saves CSV.
    let path = work.write("bad.csv", lines.join(&b"\r\n"[..]));
    let out = work
        .cmd()
        .arg("import")
        .arg(&path)
        .args(["--release", "2006"])
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("bad.csv: line 5: "),
        "{}",
        stderr(&out)
    );
}

/// `import INPUT --release 2006` under a 512 MiB address-space limit: an allocation past it
/// fails and aborts the process, which the caller sees as no exit code.
fn import_within_512_mib(work: &Work, input: &std::path::Path) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 524288 && exec \"$@\"")
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("hcpcs-diff"))
        .arg("--store")
        .arg(work.store())
        .arg("import")
        .arg(input)
        .args(["--release", "2006"])
        .output()
        .unwrap()
}

#[test]
fn hostile_inputs_import_within_512_mib() {
    let work = Work::new();
    let text = std::fs::read(fixture("oxygen/2006/HCPC2006_CONTR_ANWEB.txt")).unwrap();
    // Each with what it gives: the member of declared size 2^63 imports (it holds a release);
    // the others are refused, saying why.
    let inputs = [
        (
            work.write("bomb.zip", zip_bomb(600 << 20)),
            2,
            "bomb.zip: member HCPC2006_CONTR_ANWEB.txt unpacks to more than 104857600 bytes",
        ),
        (
            work.write("far.xlsx", far_cell_xlsx()),
            2,
            "far.xlsx: no sheet has the HCPCS header row",
        ),
        (
            work.write("huge.zip", zip_declaring("HCPC2006.txt", &text, 1 << 63)),
            0,
            "",
        ),
        (
            work.write("dims.xls", xls_patched(1 << 24, 256, 9, 1)),
            2,
            "dims.xls: not a readable workbook (a sheet declares 4294967296 cells",
        ),
        (
            work.write("far.xls", xls_patched(10, 48, u16::MAX, u16::MAX)),
            2,
            "far.xls: not a readable workbook (cells reach row 65536, column 65536",
        ),
    ];
    for (input, code, message) in inputs {
        let out = import_within_512_mib(&work, &input);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(code) && err.contains(message) && !err.contains("panicked"),
            "{}: {:?} {err}",
            input.display(),
            out.status
        );
    }
}

/// The fixture legacy workbook with its DIMENSIONS record declaring `rows` x `cols` and its
/// last shared-string cell moved to (`row`, `col`). xlwt writes the workbook stream in
/// consecutive sectors, so the records can be patched in place.
fn xls_patched(rows: u32, cols: u16, row: u16, col: u16) -> Vec<u8> {
    let mut xls = std::fs::read(fixture("xls/12anweb.xls")).unwrap();
    let find = |xls: &[u8], head: &[u8]| -> Vec<usize> {
        xls.windows(4)
            .enumerate()
            .filter(|(_, w)| *w == head)
            .map(|(i, _)| i + 4)
            .collect()
    };
    let dims = find(&xls, &[0x00, 0x02, 0x0E, 0x00]);
    assert_eq!(dims.len(), 1, "one DIMENSIONS record");
    xls[dims[0] + 4..dims[0] + 8].copy_from_slice(&rows.to_le_bytes());
    xls[dims[0] + 10..dims[0] + 12].copy_from_slice(&cols.to_le_bytes());
    let last = *find(&xls, &[0xFD, 0x00, 0x0A, 0x00]).last().unwrap();
    xls[last..last + 2].copy_from_slice(&row.to_le_bytes());
    xls[last + 2..last + 4].copy_from_slice(&col.to_le_bytes());
    xls
}

#[test]
fn an_xls_declaring_a_sheet_of_a_billion_cells_is_refused_before_calamine() {
    let work = Work::new();
    let path = work.write("12anweb.xls", xls_patched(1 << 24, 256, 9, 1));
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    assert_eq!(
        stderr(&out),
        "error: 12anweb.xls: not a readable workbook (a sheet declares 4294967296 cells, more \
         than 4718592: damaged, or not a release)\n"
    );
    assert!(!work.store().join("2012-01.jsonl").exists());
}

#[test]
fn an_xls_cell_at_row_65535_column_65535_is_refused_before_calamine() {
    let work = Work::new();
    let path = work.write("12anweb.xls", xls_patched(10, 48, u16::MAX, u16::MAX));
    let out = work.cmd().arg("import").arg(&path).assert().code(2);
    assert!(
        stderr(&out)
            .contains("cells reach row 65536, column 65536: a grid of more than 4718592 cells"),
        "{}",
        stderr(&out)
    );
}

/// The largest grid let through: declared and spanned at the cap (the far cell at row 65536,
/// column 72). calamine's buffers for it stay under the 512 MiB the faults table promises.
#[test]
fn an_xls_at_the_grid_cap_is_read_within_512_mib() {
    let work = Work::new();
    let path = work.write("12anweb.xls", xls_patched(65_536, 72, 65_535, 71));
    let out = import_within_512_mib(&work, &path);
    // The moved cell was read (and, alone on its row, is not a record): calamine read the
    // whole grid, within the limit.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sheet 'PUF___2012_Web_File' row 65536: record identification code"),
        "{err}"
    );
}
