//! Work spread over threads, results in input order.

/// `f` over `items` on every core, results in the order of `items`. Work is handed out one item
/// at a time, so a few slow items do not leave a core idle; a short list stays on this thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    map_with(cores, 8, items, f)
}

/// [`map`] for work that waits on the disk rather than the CPU, such as writing files that
/// are synced before their rename: several such waits overlap (the file system commits them
/// together) whatever the number of cores.
pub fn map_io<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_with(8, 2, items, f)
}

/// [`map_io`] over owned items, each handed to `f` by value.
pub fn map_io_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    // Each item is taken out of its slot once, by whichever thread gets its index.
    let slots: Vec<_> = items
        .into_iter()
        .map(|item| std::sync::Mutex::new(Some(item)))
        .collect();
    map_io(&slots, |slot| {
        let item = (slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
        .take()
        .expect("each item is handed out once");
        f(item)
    })
}

fn map_with<T: Sync, R: Send>(
    threads: usize,
    parallel_from: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 || items.len() < parallel_from {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut done = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            match helper.join() {
                Ok(mut more) => done.append(&mut more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
