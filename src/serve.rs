//! `medmap serve`: open the store, import the bundled data into an empty database,
//! build the snapshot, and serve. The listener opens first so `/healthz` answers
//! during the import; `/readyz` turns 200 once the snapshot is in place.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::config::{ServeArgs, Settings};
use crate::http::{router, AppState};
use crate::import::{self, Progress};
use crate::snapshot::{Seed, Snapshot};
use crate::store::Store;

/// The process-wide Prometheus recorder (installed once, shared by every server in
/// the process, which matters for tests that start many).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A progress bar on a terminal, log lines otherwise.
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn step(&self, what: &str) {
        self.0.inc(1);
        self.0.set_message(what.to_string());
        if !std::io::stderr().is_terminal() {
            tracing::info!(step = what, "importing bundled data");
        }
    }
}

/// Imports `data_dir` if the database has never been filled; returns the rows it
/// wrote when the first snapshot can be built from them.
pub async fn prepare_data(store: &Store, data_dir: &Path) -> anyhow::Result<Option<Seed>> {
    if store.meta_get("bundled_import").await?.is_some() {
        return Ok(None);
    }
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(5);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing bundled data [{bar:30}] {pos}/{len} {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (reports, merge, seed) = import::import_bundled_seeded(store, data_dir, &Bar(bar.clone()))
        .await
        .with_context(|| format!("importing bundled data from {}", data_dir.display()))?;
    bar.finish_and_clear();
    for r in &reports {
        tracing::info!(source = %r.source, read = r.read, imported = r.imported, rejected = r.rejected.len(), "imported");
    }
    tracing::info!(
        substances = merge.substances,
        merged_across_registers = merge.merged_across_registers,
        single_register = merge.single_register,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "bundled data imported"
    );
    Ok(seed)
}

/// A running server: its address and a handle to wait on.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// A SQLite store held open while the server lives, so `medmap restore` refuses
    /// to replace it under us ([`crate::backup::hold_open`]).
    pub held: Option<sqlx::SqliteConnection>,
}

/// Binds `settings.addr`, spawns the server, and spawns the data preparation (when
/// `settings.data_dir` is set) and the first snapshot build.
pub async fn start(store: Store, settings: Settings) -> anyhow::Result<Running> {
    let addr = settings.addr;
    let data_dir = settings.data_dir.clone();
    let held = crate::backup::hold_open(&store)
        .await
        .context("holding the SQLite store open")?;
    let state = AppState::new(store, settings);
    // The world's towns for `near=`, built while the snapshot loads.
    crate::places::warm();
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let addr = listener.local_addr()?;
    let app = router(state.clone());
    let limits = ConnLimits {
        header_timeout: state.settings.header_timeout,
        max_connections: state.settings.max_connections,
    };
    let task = tokio::spawn(serve_connections(listener, app, limits, shutdown_signal()));
    if let Some(puller) = state.puller.clone() {
        puller.spawn_scheduler();
    }
    if let Some(poller) = state.slot_poller.clone() {
        poller.spawn_scheduler();
    }
    let st = state.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let mut seed = None;
        if let Some(dir) = data_dir {
            match prepare_data(&st.store, &dir).await {
                Ok(s) => seed = s,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "cannot prepare data; serving nothing");
                    return;
                }
            }
        }
        match first_snapshot(&st, seed).await {
            Ok((s, position, warm)) => {
                tracing::info!(
                    facilities = s.facilities.len(),
                    name_keys = s.catalog.names.key_count(),
                    stock_lines = s.stock.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "snapshot ready"
                );
                st.snapshot.set(s);
                refresh_open_hours(st.snapshot.clone());
                crate::replica::spawn(
                    st.store.clone(),
                    st.snapshot.clone(),
                    position,
                    st.settings.follow.clone(),
                    warm,
                );
            }
            Err(e) => tracing::error!(error = %e, "cannot build snapshot"),
        }
    });
    Ok(Running {
        addr,
        state,
        task,
        held,
    })
}

/// The first snapshot, the change-log position it stands at (PostgreSQL), and the
/// replica's warm-start file. A PostgreSQL replica with a usable warm-start file
/// reads its rows from there and only the changes it missed from the database;
/// otherwise every table is read (and, on PostgreSQL, written to the file for the
/// next start).
async fn first_snapshot(
    st: &AppState,
    seed: Option<Seed>,
) -> crate::store::Result<(Snapshot, Option<i64>, Option<crate::replica::WarmStart>)> {
    use crate::replica::WarmStart;
    use crate::snapshot::Started;
    let warm = match &st.settings.follow.state_dir {
        Some(dir) => match WarmStart::locate(&st.store, dir).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cannot name the warm-start file; loading whole");
                None
            }
        },
        None => None,
    };
    if let Some(w) = &warm {
        st.snapshot.sync.set_warm(w.clone());
        if seed.is_none() {
            if let Some((rows, report)) = w.restore(&st.store).await {
                let s = Snapshot::load_from_rows(&st.store, rows).await?;
                let position = report.to_position;
                // The file itself moves forward with the follower's periodic advance
                // and at the stop: advancing it here would decode it and read the gap
                // a second time while the replica starts serving.
                st.snapshot.sync.set_started(Started::WarmFile(report));
                return Ok((s, Some(position), warm));
            }
        }
    }
    // PostgreSQL: where the change log stands before the load, so the follower
    // applies again whatever commits while the snapshot loads.
    let position = crate::replica::start_position(&st.store).await?;
    let s = match position {
        Some(p) => crate::replica::load_whole(&st.store, seed, warm.clone(), p).await?,
        None => Snapshot::load_seeded(&st.store, seed).await?,
    };
    st.snapshot.sync.set_started(Started::Tables);
    Ok((s, position, warm))
}

/// What one connection may hold.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time to send a request's headers (hyper's `header_read_timeout`).
    pub header_timeout: std::time::Duration,
    /// Connections open at once; the accept loop waits for one to close past it.
    pub max_connections: usize,
}

/// The accept loop: what `axum::serve` does, plus a header read timeout (so a client
/// that trickles headers, or opens a connection and says nothing, is dropped instead
/// of holding a socket for ever) and a cap on open connections. Each request carries
/// the peer address as `ConnectInfo` for the per-client limits. On `shutdown` it stops
/// accepting, lets in-flight requests finish and closes idle connections.
pub async fn serve_connections(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use std::sync::Arc;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&open).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed; a closed semaphore would mean stop
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin
                    // or stop serving (what axum::serve does too).
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                tower::ServiceExt::oneshot(app.clone(), req)
            });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts, resets and malformed requests: the client's business.
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Keeps the "open now" caches current: right after the earliest state change
/// (and at least every 30 s, for snapshots swapped in meanwhile), only the
/// facilities whose state has expired are re-evaluated.
fn refresh_open_hours(snapshot: crate::snapshot::SharedSnapshot) {
    tokio::spawn(async move {
        loop {
            let next = snapshot.get().map_or(i64::MAX, |s| s.open_valid_until());
            let wait = next
                .saturating_sub(chrono::Utc::now().timestamp())
                .clamp(1, 30);
            tokio::time::sleep(std::time::Duration::from_secs(wait as u64)).await;
            if let Some(s) = snapshot.get() {
                let _ =
                    tokio::task::spawn_blocking(move || s.refresh_open(chrono::Utc::now())).await;
            }
        }
    });
}

pub async fn run(db: &str, args: ServeArgs) -> anyhow::Result<()> {
    let store = Store::connect(db)
        .await
        .with_context(|| format!("opening database {db}"))?;
    let running = start(store.clone(), Settings::from(args)).await?;
    tracing::info!(addr = %running.addr, backend = store.backend(), "listening");
    running.task.await??;
    crate::catalog::persist::flush(std::time::Duration::from_secs(30)).await;
    // A replica's warm-start file brought to where it stopped: its next start
    // then reads nothing it already had.
    if let Some(w) = running.state.snapshot.sync.warm() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), w.advance(&store)).await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
