//! `medmap eval`: search quality measured, not guessed (as imdb-rename's eval
//! crate does). [`names`] measures medication-name search; [`services`] measures
//! the services search against its truth file beside a trigram baseline.

pub mod names;
pub mod services;

pub use names::{run_names, run_on, truth_queries, EvalArgs};

/// The store at `db` (the bundled data imported first when it is empty) and its
/// snapshot: what every evaluation runs on.
pub(crate) async fn open_snapshot(
    db: &str,
    data_dir: &std::path::Path,
) -> anyhow::Result<(crate::store::Store, crate::snapshot::Snapshot)> {
    use anyhow::Context;
    let store = crate::store::Store::connect(db)
        .await
        .with_context(|| format!("opening {db}"))?;
    crate::serve::prepare_data(&store, data_dir).await?;
    let snap = crate::snapshot::Snapshot::load(&store).await?;
    Ok((store, snap))
}
