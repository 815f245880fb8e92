//! What the async spinners' comments say of their runtimes, checked on the runtimes themselves:
//! when a spawned task first runs, what `abort` answers, and what it cannot stop.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// spinner_async_blocked's `slow`: an `async fn` that blocks and never waits, so awaiting it is
/// ready at its first poll, however long it took.
async fn blocking_slow(seconds: Duration) -> i64 {
    std::thread::sleep(seconds);
    42
}

/// A task whose whole body is to say that it ran.
fn says_it_ran() -> (Arc<AtomicBool>, impl Future<Output = ()> + Send + 'static) {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    (ran, async move { flag.store(true, SeqCst) })
}

// `#[tokio::test]` is a `current_thread` runtime, as the spinners': one thread for every task.
#[tokio::test]
async fn on_tokio_a_spawned_task_first_runs_when_the_spawner_awaits_a_pending_future() {
    let (ran, body) = says_it_ran();
    let task = tokio::spawn(body);
    std::future::ready(()).await;
    assert!(!ran.load(SeqCst), "it ran at an `.await` that was ready");
    assert_eq!(blocking_slow(Duration::from_millis(20)).await, 42);
    assert!(!ran.load(SeqCst), "it ran while `slow` blocked the thread");
    // spinner_async's `slow`: the sleep is Pending, and the runtime runs the task meanwhile.
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert!(ran.load(SeqCst), "it had not run after a pending `.await`");
    task.await.unwrap();
}

#[test]
fn on_smol_a_spawned_task_first_runs_when_the_spawner_awaits_a_pending_future() {
    let ex = smol::LocalExecutor::new();
    let ran = Rc::new(Cell::new(false));
    let flag = Rc::clone(&ran);
    smol::block_on(ex.run(async {
        let task = ex.spawn(async move { flag.set(true) });
        std::future::ready(()).await;
        assert!(!ran.get(), "it ran at an `.await` that was ready");
        assert_eq!(blocking_slow(Duration::from_millis(20)).await, 42);
        assert!(!ran.get(), "it ran while `slow` blocked the thread");
        smol::Timer::after(Duration::from_millis(1)).await;
        assert!(ran.get(), "it had not run after a pending `.await`");
        task.await;
    }));
}

#[test]
fn on_async_std_a_local_task_first_runs_when_the_spawner_awaits_a_pending_future() {
    let ran = Rc::new(Cell::new(false));
    let flag = Rc::clone(&ran);
    async_std::task::block_on(async {
        let task = async_std::task::spawn_local(async move { flag.set(true) });
        std::future::ready(()).await;
        assert!(!ran.get(), "it ran at an `.await` that was ready");
        assert_eq!(blocking_slow(Duration::from_millis(20)).await, 42);
        assert!(!ran.get(), "it ran while `slow` blocked the thread");
        async_std::task::sleep(Duration::from_millis(1)).await;
        assert!(ran.get(), "it had not run after a pending `.await`");
        task.await;
    });
}

#[tokio::test]
async fn an_aborted_task_answers_a_join_error_that_is_cancelled() {
    let spinner = tokio::spawn(std::future::pending::<()>());
    tokio::task::yield_now().await;
    spinner.abort();
    let error = spinner
        .await
        .expect_err("a task that never ends was aborted");
    assert!(error.is_cancelled() && !error.is_panic(), "{error:?}");
}

/// Starts spinner_async_unblocked's blocking sleep, `seconds` long, and returns its handle once
/// the sleep has begun, with the flag it raises when the sleep is over.
fn blocking_sleep(seconds: Duration) -> (tokio::task::JoinHandle<()>, Arc<AtomicBool>) {
    let (started, has_started) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let sleeping = tokio::task::spawn_blocking(move || {
        started.send(()).unwrap();
        std::thread::sleep(seconds);
        flag.store(true, SeqCst);
    });
    has_started.recv().unwrap();
    (sleeping, done)
}

// tokio's docs: "tasks spawned using `spawn_blocking` cannot be aborted because they are not
// async. If you call `abort` on a `spawn_blocking` task, then this will not have any effect".
#[tokio::test]
async fn aborting_a_blocking_task_that_has_started_does_not_stop_it() {
    let (sleeping, done) = blocking_sleep(Duration::from_millis(300));
    sleeping.abort();
    let answer = sleeping.await;
    assert!(
        done.load(SeqCst),
        "awaiting the aborted handle returned before the sleep ended"
    );
    assert!(answer.is_ok(), "the sleep ran to its end, yet: {answer:?}");
}

#[tokio::test]
async fn a_timeout_stops_the_waiting_and_the_blocking_sleep_runs_on() {
    let (sleeping, done) = blocking_sleep(Duration::from_millis(500));
    let waited = tokio::time::timeout(Duration::from_millis(10), sleeping).await;
    assert!(waited.is_err(), "the 10 ms timeout did not end the wait");
    assert!(!done.load(SeqCst), "the sleep ended within the timeout");
    // The handle is dropped with the timeout's future; the closure still ends on its thread.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done.load(SeqCst) {
        assert!(Instant::now() < deadline, "the blocking sleep never ended");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
