//! Reading a legacy `.xls` leaves the process's panic hook alone. The hook is process-wide: a
//! reader that swapped it around its own work could, with two threads reading at once, leave a
//! silent hook installed, after which a failing assertion anywhere in the program would fail
//! without its message. This is a test binary of its own because it installs a hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use hcpcs_diff::read::{self, Form};

#[test]
fn two_threads_reading_xls_at_once_leave_every_panic_message_printed() {
    let xls = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/xls/12anweb.xls"
    ))
    .unwrap();
    // The same workbook with its shared strings cut short: read, refused, never a panic.
    let mut damaged = xls.clone();
    let sst = damaged
        .windows(2)
        .position(|w| w == [0xFC, 0x00])
        .expect("the fixture has a shared-string table");
    damaged[sst + 2] = 0x09;
    damaged[sst + 3] = 0x00;

    let reached = Arc::new(AtomicUsize::new(0));
    let printed = Arc::clone(&reached);
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        printed.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));

    let done = Arc::new(AtomicBool::new(false));
    // A third thread panics (and catches it) for as long as the readers run: each of those
    // panics must reach the hook, as a failing assertion's message would.
    let panicker = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut panics = 0;
            while !done.load(Ordering::SeqCst) || panics == 0 {
                let _ = std::panic::catch_unwind(|| panic!("an assertion failing elsewhere"));
                panics += 1;
            }
            panics
        })
    };
    let readers: Vec<_> = [xls, damaged]
        .into_iter()
        .map(|bytes| {
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for _ in 0..40 {
                    results.push(read::read("12anweb.xls", &bytes, Form::Xls).is_ok());
                }
                results
            })
        })
        .collect();
    let results: Vec<Vec<bool>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    let panics = panicker.join().unwrap();

    assert!(results[0].iter().all(|ok| *ok), "the fixture reads");
    assert!(
        results[1].iter().all(|ok| !ok),
        "the damaged copy is refused"
    );
    let _ = std::panic::catch_unwind(|| panic!("a failing assertion after the reads"));
    let _ = std::panic::take_hook();
    assert_eq!(
        reached.load(Ordering::SeqCst),
        panics + 1,
        "every panic, during the reads and after them, reached the program's hook"
    );
}
