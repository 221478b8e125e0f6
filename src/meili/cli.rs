//! The `medmap meili sync` command: one sync, or `--follow` to keep the mirror
//! current by following medmap's change log (`crate::store::changes`) until
//! stopped. Progress is a bar per index on a terminal and log lines otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;

use super::{IndexReport, Mirror, Target};
use crate::snapshot::Snapshot;
use crate::store::{ChangeKind, Store};

#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// The Meilisearch to write to.
    #[arg(long, env = "MEILI_URL")]
    pub url: String,
    /// Its API key (a key allowed to manage indexes and documents).
    #[arg(long, env = "MEILI_KEY")]
    pub key: Option<String>,
    /// Keep following medmap's change log after the first sync, until stopped.
    #[arg(long)]
    pub follow: bool,
    /// Seconds between reads of the change log when following.
    #[arg(long, default_value_t = 2)]
    pub every: u64,
    /// Documents per request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
}

pub async fn run(db: &str, args: SyncArgs) -> anyhow::Result<()> {
    let mut target = Target::new(&args.url, args.key.as_deref());
    target.batch = args.batch.max(1);
    let mut mirror = Mirror::new(target)?;
    let store = Store::connect(db).await?;
    // The position is read before the data: a change committed while the
    // snapshot loads is seen again at the next check, never missed.
    let mut pos = store.change_window().await?.head;
    let snap = Snapshot::load(&store).await;
    if !args.follow {
        store.close().await;
    }
    print(&sync_once(&mut mirror, &snap?).await?);
    if !args.follow {
        return Ok(());
    }
    tracing::info!(
        position = pos,
        every_s = args.every,
        "following medmap's change log"
    );
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(Duration::from_secs(args.every.max(1))) => {}
        }
        let (window, changes) = match (
            store.change_window().await,
            store.changes_after(pos, 10_000).await,
        ) {
            (Ok(w), Ok(c)) => (w, c),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "medmap's store unreachable; will ask again");
                continue;
            }
        };
        // Entries this follower needed were pruned: whatever changed, sync whole.
        let missed = pos < window.pruned_through;
        let Some(next) = changes
            .last()
            .map(|c| c.seq)
            .or(missed.then_some(window.head))
        else {
            continue;
        };
        if !missed && !changes.iter().any(|c| mirrored(c.kind)) {
            pos = next;
            continue;
        }
        let snap = Snapshot::load(&store)
            .await
            .context("reloading medmap's data")?;
        match sync_once(&mut mirror, &snap).await {
            Ok(r) => {
                print(&r);
                pos = next;
            }
            // Meilisearch down past the retries: the same changes are tried again
            // at the next check (the digests say what is still missing).
            Err(e) => tracing::error!(error = %e, "sync failed; will try again"),
        }
    }
    store.close().await;
    Ok(())
}

/// Whether a change touches what the mirror holds: stock, keys and duty times
/// are not in its documents.
fn mirrored(kind: ChangeKind) -> bool {
    !matches!(
        kind,
        ChangeKind::Stock | ChangeKind::Keys | ChangeKind::SpecialHours
    )
}

async fn sync_once(mirror: &mut Mirror, snap: &Snapshot) -> anyhow::Result<Vec<IndexReport>> {
    let tty = std::io::stderr().is_terminal();
    let bars = indicatif::MultiProgress::new();
    let style = indicatif::ProgressStyle::with_template("{prefix:20} [{bar:30}] {pos}/{len}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let current: std::sync::Mutex<Option<(String, indicatif::ProgressBar)>> = Default::default();
    let progress = |index: &str, done: usize, todo: usize| {
        if !tty {
            if done == todo {
                tracing::info!(index, documents = todo, "index in step");
            }
            return;
        }
        let Ok(mut cur) = current.lock() else {
            return;
        };
        if cur.as_ref().is_none_or(|(name, _)| name != index) {
            let bar = bars.add(indicatif::ProgressBar::new(todo as u64));
            bar.set_style(style.clone());
            bar.set_prefix(index.to_string());
            *cur = Some((index.to_string(), bar));
        }
        if let Some((_, bar)) = cur.as_ref() {
            bar.set_position(done as u64);
            if done == todo {
                bar.finish();
            }
        }
    };
    Ok(mirror.sync(snap, &progress).await?)
}

fn print(reports: &[IndexReport]) {
    for r in reports {
        println!(
            "{}: {} documents, {} sent, {} deleted",
            r.index, r.documents, r.sent, r.deleted
        );
    }
}
