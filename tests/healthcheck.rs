//! `medmap healthcheck`, the container image's HEALTHCHECK, run as the binary against
//! real servers: healthy (exit 0) only once `/readyz` answers 200, on both databases
//! and with the container's `MEDMAP_ADDR=0.0.0.0:PORT`; unhealthy (exit 1, saying
//! why) while the snapshot is being built and when nothing listens.

#[macro_use]
mod common;

use std::process::Output;

use common::{spawn_app_with, AppSettings, Settings, TestDb};
use medmap::http::{router, AppState};

async fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_medmap"));
    cmd.arg("healthcheck").args(args).env_remove("MEDMAP_ADDR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("runs medmap healthcheck")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

backend_test! {
    /// A ready server is healthy, asked by flag or, as in the image, through the
    /// listen address `serve` reads (`0.0.0.0` asked on loopback).
    async fn ready_server_is_healthy(backend) {
        let app = spawn_app_with(AppSettings::new(backend)).await;
        let port = app.addr().port();

        let out = healthcheck(&["--addr", &app.addr().to_string()], &[]).await;
        assert!(out.status.success(), "stderr: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("\"ready\""), "stdout: {}", text(&out.stdout));

        let all = format!("0.0.0.0:{port}");
        let out = healthcheck(&[], &[("MEDMAP_ADDR", all.as_str())]).await;
        assert!(out.status.success(), "stderr: {}", text(&out.stderr));

        let out = healthcheck(&["--addr", &all, "--path", "/healthz"], &[]).await;
        assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    }
}

/// The real router before its first snapshot answers `/readyz` with 503: unhealthy,
/// while `/healthz` (alive) already passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_server_is_unhealthy() {
    let db = TestDb::sqlite().await;
    let state = AppState::new(db.store.clone(), Settings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });

    let out = healthcheck(&["--addr", &addr], &[]).await;
    assert_eq!(out.status.code(), Some(1), "stdout: {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("503") && err.contains("starting"),
        "stderr: {err}"
    );

    let out = healthcheck(&["--addr", &addr, "--path", "/healthz"], &[]).await;
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    server.abort();
}

/// Nothing listening: unhealthy, naming the URL it tried.
#[tokio::test]
async fn closed_port_is_unhealthy() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = healthcheck(&["--addr", &format!("127.0.0.1:{port}")], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("cannot reach http://127.0.0.1:{port}/readyz")),
        "stderr: {err}"
    );
}

/// A path that is not one is refused by the argument parser, not sent.
#[tokio::test]
async fn bad_path_is_refused() {
    let out = healthcheck(&["--path", "readyz"], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("must start with /"));
}
