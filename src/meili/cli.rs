//! The `medmap meili sync` command. Progress is a bar per index on a terminal and log
//! lines otherwise.

use std::io::IsTerminal;

use super::{IndexReport, Mirror, Target};
use crate::snapshot::Snapshot;
use crate::store::Store;

#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// The Meilisearch to write to.
    #[arg(long, env = "MEILI_URL")]
    pub url: String,
    /// Its API key (a key allowed to manage indexes and documents).
    #[arg(long, env = "MEILI_KEY")]
    pub key: Option<String>,
    /// Documents per request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
}

pub async fn run(db: &str, args: SyncArgs) -> anyhow::Result<()> {
    let mut target = Target::new(&args.url, args.key.as_deref());
    target.batch = args.batch.max(1);
    let mut mirror = Mirror::new(target)?;
    let store = Store::connect(db).await?;
    let snap = Snapshot::load(&store).await;
    store.close().await;
    print(&sync_once(&mut mirror, &snap?).await?);
    Ok(())
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
