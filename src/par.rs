//! Independent reads on every core: every release of a history.
//! A thread the system refuses is no error: its work runs on the calling thread instead.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `f(item)` for every item, on at most as many threads as there are cores; results in order.
pub fn map<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let result = f(item);
            lock(&results)[i] = Some(result);
        }
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        work();
        for helper in helpers {
            helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // Every index was taken by exactly one worker, and every worker ran to the end.
    results.into_iter().flatten().collect()
}

/// `first` on a second thread while `second` runs on this one; both results. Where the system
/// refuses the thread, `first` runs here, after `second`.
pub fn both<A: Send, B>(first: impl FnOnce() -> A + Send, second: impl FnOnce() -> B) -> (A, B) {
    // Held where both threads can take it: a thread the system refuses runs it here instead.
    let first = Mutex::new(Some(first));
    std::thread::scope(|scope| {
        let on_thread = std::thread::Builder::new()
            .spawn_scoped(scope, || lock(&first).take().map(|first| first()));
        let b = second();
        let a = match on_thread {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        };
        let a = a.or_else(|| lock(&first).take().map(|first| first()));
        (a.expect("`first` ran on one thread or the other"), b)
    })
}

/// `produce` on a second thread, each item it gives handed over (in batches, through a channel
/// of a few) to `consume` on this one, in order, as it comes; then what `produce` returned. So
/// that cutting a file into rows and typing them share both cores, memory bounded however many
/// rows there are. Where the system refuses the thread, `produce` runs here and gives each item
/// to `consume` at once.
pub fn handed_over<T: Send, R: Send>(
    produce: impl FnOnce(&mut dyn FnMut(T)) -> R + Send,
    mut consume: impl FnMut(T),
) -> R {
    // Held where both threads can take it: a thread the system refuses runs it here instead.
    let produce = Mutex::new(Some(produce));
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<T>>(4);
        let producing = &produce;
        let producer = std::thread::Builder::new().spawn_scoped(scope, move || {
            let produce = lock(producing).take()?;
            let mut batch = Vec::with_capacity(BATCH);
            let mut give = |item: T| {
                batch.push(item);
                if batch.len() == BATCH {
                    // A consumer gone (it panicked) takes nothing more: the rest is dropped.
                    let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            };
            let result = produce(&mut give);
            let _ = sender.send(batch);
            Some(result)
        });
        let Ok(producer) = producer else {
            drop(receiver);
            let produce = lock(&produce).take().expect("no thread took it");
            return produce(&mut consume);
        };
        for batch in receiver.iter() {
            batch.into_iter().for_each(&mut consume);
        }
        producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .expect("the producer ran on its thread")
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many items [`pipelined`] hands over at once.
const BATCH: usize = 1024;

/// Runs the iterator `make` gives on a second thread while `consume` takes its items on this
/// one, so that producing (reading and judging rows) and consuming (formatting and writing
/// them) share both cores. Items go over in batches through a channel of a few batches, so
/// memory stays bounded however many there are; a `consume` that stops early ends the
/// producer at its next batch.
pub fn pipelined<I, C, R>(make: impl FnOnce() -> I + Send, consume: C) -> R
where
    I: Iterator,
    I::Item: Send,
    C: FnOnce(&mut dyn Iterator<Item = I::Item>) -> R,
{
    // Held where both threads can take it: a thread the system refuses runs it here instead.
    let make = Mutex::new(Some(make));
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<I::Item>>(4);
        let make = &make;
        let producer = std::thread::Builder::new().spawn_scoped(scope, move || {
            let Some(make) = lock(make).take() else {
                return;
            };
            let mut batch = Vec::with_capacity(BATCH);
            for item in make() {
                batch.push(item);
                if batch.len() == BATCH
                    && sender
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    return;
                }
            }
            let _ = sender.send(batch);
        });
        let Ok(producer) = producer else {
            let make = lock(make).take();
            return consume(&mut make.into_iter().flat_map(|make| make()));
        };
        let result = consume(&mut receiver.iter().flatten());
        drop(receiver);
        producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        result
    })
}

/// `work` on each item of `items` on every core (each thread with its own `state`), and
/// `sink` taking the results in the items' order, on this thread, as they come: a few items
/// are in hand at once (read ahead, being worked, or waiting for one before them), so memory
/// stays bounded however many there are. The first error, from an item, `work` or `sink`,
/// ends it all. Where the system refuses every thread, the items are worked here in turn.
pub fn ordered<T, S, R, E>(
    items: impl Iterator<Item = Result<T, E>>,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, T) -> Result<R, E> + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
    R: Send,
    E: Send,
{
    use std::sync::mpsc::{channel, sync_channel};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (todo, todo_received) = sync_channel::<(usize, T)>(threads);
    let todo_received = Mutex::new(todo_received);
    // `None`: the worker panicked on that item (the scope raises the panic again at its end).
    let (done_sender, done) = channel::<(usize, Option<Result<R, E>>)>();
    std::thread::scope(|scope| {
        let todo = todo;
        let mut workers = 0;
        for _ in 0..threads {
            let (done_sender, todo_received, state, work) =
                (done_sender.clone(), &todo_received, &state, &work);
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                let mut state = state();
                loop {
                    let next = lock(todo_received).recv();
                    let Ok((i, item)) = next else { break };
                    // A panic is said to this thread before it goes on up, so that this one
                    // stops waiting for the item's result.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        work(&mut state, item)
                    }));
                    match result {
                        Ok(result) => {
                            if done_sender.send((i, Some(result))).is_err() {
                                break;
                            }
                        }
                        Err(panic) => {
                            let _ = done_sender.send((i, None));
                            std::panic::resume_unwind(panic);
                        }
                    }
                }
            });
            workers += usize::from(spawned.is_ok());
        }
        drop(done_sender);
        if workers == 0 {
            drop(todo);
            let mut state = state();
            for item in items {
                sink(work(&mut state, item?)?)?;
            }
            return Ok(());
        }
        // Items out at once: one at work on each worker and two more, each holding its result
        // until its turn (audit's blocks: some megabytes each, of memory freshly cleared).
        let ahead = workers + 2;
        let mut items = items.fuse();
        let (mut sent, mut next) = (0usize, 0usize);
        let mut waiting = std::collections::BTreeMap::new();
        // Dropping `todo` on the way out (an error included) ends the workers.
        loop {
            while sent - next < ahead {
                match items.next() {
                    None => break,
                    Some(item) => {
                        // The receiving end outlives the scope: a send fails only if it is
                        // gone, which it cannot be.
                        if todo.send((sent, item?)).is_err() {
                            return Ok(());
                        }
                        sent += 1;
                    }
                }
            }
            if next == sent {
                return Ok(());
            }
            if !waiting.contains_key(&next) {
                match done.recv() {
                    Ok((i, Some(result))) => {
                        waiting.insert(i, result);
                    }
                    // A worker panicked (every worker gone cannot be otherwise): stop here;
                    // the scope raises the panic again.
                    Ok((_, None)) | Err(_) => return Ok(()),
                }
            }
            while let Some(result) = waiting.remove(&next) {
                next += 1;
                sink(result?)?;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item, the last part batch too, reaches the consumer in order, and the producer's
    /// result comes back; a producer that gives nothing gives its result alone.
    #[test]
    fn handed_over_gives_every_item_in_order_and_the_producers_result() {
        for n in [
            0u32,
            1,
            BATCH as u32 - 1,
            BATCH as u32,
            10 * BATCH as u32 + 7,
        ] {
            let mut got = Vec::new();
            let result = handed_over(
                |give| {
                    (0..n).for_each(&mut *give);
                    format!("gave {n}")
                },
                |item| got.push(item),
            );
            assert_eq!(result, format!("gave {n}"));
            assert_eq!(got, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn both_gives_both_results() {
        let (a, b) = both(|| (0..1000u64).sum::<u64>(), || "here");
        assert_eq!((a, b), (499_500, "here"));
    }

    #[test]
    fn map_keeps_order_and_covers_every_item() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            map(&items, |n| n * 2),
            (0..100).map(|n| n * 2).collect::<Vec<_>>()
        );
        assert!(map(&[] as &[u32], |n| *n).is_empty());
    }

    #[test]
    fn pipelined_keeps_order_and_a_consumer_that_stops_stops_the_producer() {
        let all: Vec<u32> = pipelined(|| 0..10_000u32, |items| items.collect());
        assert_eq!(all, (0..10_000).collect::<Vec<_>>());
        // The consumer takes ten items and stops: the producer ends at its next batch, far
        // short of the million it could make (the channel holds four batches, one more is
        // being filled, one is being read).
        let made = AtomicUsize::new(0);
        let first: Vec<u32> = pipelined(
            || {
                (0..1_000_000u32).inspect(|_| {
                    made.fetch_add(1, Ordering::Relaxed);
                })
            },
            |items| items.take(10).collect(),
        );
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        assert!(made.load(Ordering::Relaxed) <= 7 * BATCH, "{made:?}");
    }

    #[test]
    fn ordered_keeps_order_stops_at_an_error_and_raises_a_workers_panic() {
        let mut out = Vec::new();
        let sink = |out: &mut Vec<u32>, n| {
            out.push(n);
            Ok(())
        };
        ordered(
            (0..1000u32).map(Ok::<_, String>),
            || (),
            |_, n| Ok(n * 2),
            |n| sink(&mut out, n),
        )
        .unwrap();
        assert_eq!(out, (0..1000).map(|n| n * 2).collect::<Vec<_>>());
        // An error from the work: every result before it, in order, then the error.
        let mut out = Vec::new();
        let work = |_: &mut (), n| match n {
            500 => Err(format!("bad {n}")),
            n => Ok(n),
        };
        let err = ordered((0..1000u32).map(Ok), || (), work, |n| sink(&mut out, n));
        assert_eq!(err, Err("bad 500".to_string()));
        assert_eq!(out, (0..500).collect::<Vec<_>>());
        // A worker's panic comes back up here (before, the caller waited for its result).
        let panicked = std::panic::catch_unwind(|| {
            ordered(
                (0..1000u32).map(Ok::<_, String>),
                || (),
                |_, n| {
                    assert_ne!(n, 300, "a worker's panic");
                    Ok(n)
                },
                |_| Ok(()),
            )
        });
        assert!(panicked.is_err());
    }
}
