//! `medmap meili sync`: a mirror of medmap's medications, facilities and
//! services in a Meilisearch that an operator already runs for other sites.
//!
//! medmap stays the source of truth; the mirror is made from a snapshot
//! ([`docs`]) and kept current by diffing: each document carries a digest of
//! its content, a sync reads the ids and digests Meilisearch holds and sends
//! only new or changed documents and deletes the ones medmap no longer has.
//! `--follow` repeats that whenever medmap's data changes, so deletions
//! propagate and an interrupted sync resumes where the digests say.
//!
//! Meilisearch answers writes with tasks it runs later; every batch here waits
//! for its task and fails loudly if the task failed, and every request is
//! retried with exponential backoff while Meilisearch is unreachable or busy.

pub mod cli;
pub mod docs;
mod settings;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use meilisearch_sdk::client::Client;
use meilisearch_sdk::documents::DocumentsQuery;
use meilisearch_sdk::errors::Error as SdkError;
use meilisearch_sdk::tasks::Task;
use serde::Deserialize;

use crate::snapshot::Snapshot;
use docs::Doc;

/// What can go wrong talking to Meilisearch (after the retries).
#[derive(Debug, thiserror::Error)]
pub enum MeiliError {
    #[error("Meilisearch at {url}: {source}")]
    Request {
        url: String,
        #[source]
        source: SdkError,
    },
    #[error("Meilisearch task {task} on index {index} failed: {message}")]
    TaskFailed {
        index: String,
        task: u32,
        message: String,
    },
}

/// Where the mirror lives and how it is written.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub key: Option<String>,
    /// Documents per request (Meilisearch indexes a batch as one task).
    pub batch: usize,
    /// Attempts per request before giving up (with backoff between them).
    pub attempts: u32,
    /// How long a task may run before the sync reports it stuck.
    pub task_timeout: Duration,
}

impl Target {
    pub fn new(url: &str, key: Option<&str>) -> Target {
        Target {
            url: url.trim_end_matches('/').to_string(),
            key: key.map(str::to_string),
            batch: 1000,
            attempts: 8,
            task_timeout: Duration::from_secs(600),
        }
    }
}

/// What a sync did to one index.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexReport {
    pub index: String,
    /// Documents medmap has.
    pub documents: usize,
    /// Sent because new or changed.
    pub sent: usize,
    /// Deleted because medmap no longer has them.
    pub deleted: usize,
}

/// A connection to one Meilisearch, with the retry rule.
pub struct Mirror {
    client: Client,
    target: Target,
    /// Settings are written once per catalog generation (they hold the synonyms).
    settings_generation: Option<u64>,
}

impl Mirror {
    pub fn new(target: Target) -> Result<Mirror, MeiliError> {
        let client = Client::new(target.url.clone(), target.key.clone()).map_err(|e| {
            MeiliError::Request {
                url: target.url.clone(),
                source: e,
            }
        })?;
        Ok(Mirror {
            client,
            target,
            settings_generation: None,
        })
    }

    /// Makes every index equal to `snap`: settings (when the catalog changed
    /// since the last sync of this mirror), then changed documents, then deletions.
    pub async fn sync(
        &mut self,
        snap: &Snapshot,
        progress: &dyn Fn(&str, usize, usize),
    ) -> Result<Vec<IndexReport>, MeiliError> {
        let write_settings = self.settings_generation != Some(snap.catalog_generation);
        let mut reports = Vec::new();
        for (uid, docs) in [
            (docs::MEDICATIONS, docs::medications(snap)),
            (docs::FACILITIES, docs::facilities(snap)),
            (docs::SERVICES, docs::services(snap)),
        ] {
            self.ensure_index(uid).await?;
            if write_settings {
                let s = settings::of(uid, snap);
                let task = self
                    .retry(|| async { self.client.index(uid).set_settings(&s).await })
                    .await?;
                self.wait(uid, task.task_uid).await?;
            }
            reports.push(self.sync_index(uid, docs, progress).await?);
        }
        self.settings_generation = Some(snap.catalog_generation);
        Ok(reports)
    }

    async fn ensure_index(&self, uid: &str) -> Result<(), MeiliError> {
        match self.client.get_index(uid).await {
            Ok(_) => Ok(()),
            Err(SdkError::Meilisearch(e))
                if e.error_code == meilisearch_sdk::errors::ErrorCode::IndexNotFound =>
            {
                let task = self
                    .retry(|| async { self.client.create_index(uid, Some("id")).await })
                    .await?;
                self.wait(uid, task.task_uid).await
            }
            Err(e) => {
                // Unreachable or busy: the retry rule decides.
                self.retry(|| async { self.client.get_index(uid).await })
                    .await
                    .map(|_| ())
                    .map_err(|_| self.error(e))
            }
        }
    }

    async fn sync_index(
        &self,
        uid: &str,
        docs: Vec<Doc>,
        progress: &dyn Fn(&str, usize, usize),
    ) -> Result<IndexReport, MeiliError> {
        let held = self.held(uid).await?;
        let wanted: HashMap<&str, ()> = docs.iter().map(|d| (d.id.as_str(), ())).collect();
        let changed: Vec<&Doc> = docs
            .iter()
            .filter(|d| held.get(&d.id) != Some(&d.hash))
            .collect();
        let gone: Vec<String> = held
            .keys()
            .filter(|id| !wanted.contains_key(id.as_str()))
            .cloned()
            .collect();
        let todo = changed.len() + gone.len();
        let mut done = 0;
        progress(uid, done, todo);
        for chunk in changed.chunks(self.target.batch.max(1)) {
            let bodies: Vec<&serde_json::Value> = chunk.iter().map(|d| &d.body).collect();
            let task = self
                .retry(|| async {
                    self.client
                        .index(uid)
                        .add_or_replace(&bodies, Some("id"))
                        .await
                })
                .await?;
            self.wait(uid, task.task_uid).await?;
            done += chunk.len();
            progress(uid, done, todo);
        }
        for chunk in gone.chunks(self.target.batch.max(1)) {
            let task = self
                .retry(|| async { self.client.index(uid).delete_documents(chunk).await })
                .await?;
            self.wait(uid, task.task_uid).await?;
            done += chunk.len();
            progress(uid, done, todo);
        }
        Ok(IndexReport {
            index: uid.to_string(),
            documents: docs.len(),
            sent: changed.len(),
            deleted: gone.len(),
        })
    }

    /// Ids and digests of the documents the index holds.
    async fn held(&self, uid: &str) -> Result<HashMap<String, String>, MeiliError> {
        #[derive(Deserialize)]
        struct Held {
            id: String,
            #[serde(default)]
            x_hash: String,
        }
        const PAGE: usize = 10_000;
        let index = self.client.index(uid);
        let mut out = HashMap::new();
        let mut offset = 0;
        loop {
            let page = self
                .retry(|| async {
                    let mut q = DocumentsQuery::new(&index);
                    q.with_offset(offset)
                        .with_limit(PAGE)
                        .with_fields(["id", "x_hash"]);
                    index.get_documents_with::<Held>(&q).await
                })
                .await?;
            let n = page.results.len();
            out.extend(page.results.into_iter().map(|h| (h.id, h.x_hash)));
            if n < PAGE {
                return Ok(out);
            }
            offset += n;
        }
    }

    async fn wait(&self, uid: &str, task: u32) -> Result<(), MeiliError> {
        let status = self
            .retry(|| async {
                self.client
                    .wait_for_task(
                        TaskId(task),
                        Some(Duration::from_millis(50)),
                        Some(self.target.task_timeout),
                    )
                    .await
            })
            .await?;
        match status {
            Task::Succeeded { .. } => Ok(()),
            Task::Failed { content } => Err(MeiliError::TaskFailed {
                index: uid.to_string(),
                task,
                message: content.error.error_message,
            }),
            _ => Err(self.error(SdkError::Timeout)),
        }
    }

    /// Runs `op` until it succeeds, it fails for a reason retrying cannot fix,
    /// or the attempts run out; waits 250 ms, then twice as long each time (at
    /// most 30 s) while Meilisearch is unreachable, overloaded or restarting.
    async fn retry<T, F, Fut>(&self, op: F) -> Result<T, MeiliError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError>>,
    {
        let mut delay = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if attempt < self.target.attempts && transient(&e) => {
                    tracing::warn!(attempt, error = %e, "Meilisearch request failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                    attempt += 1;
                }
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    fn error(&self, source: SdkError) -> MeiliError {
        MeiliError::Request {
            url: self.target.url.clone(),
            source,
        }
    }
}

/// A task id as the SDK's waiting call takes it.
struct TaskId(u32);

impl AsRef<u32> for TaskId {
    fn as_ref(&self) -> &u32 {
        &self.0
    }
}

/// Failures worth another attempt: the server unreachable, overloaded (429),
/// failing inside (5xx), or a task still running when the wait timed out.
fn transient(e: &SdkError) -> bool {
    match e {
        SdkError::HttpError(_) | SdkError::Timeout => true,
        SdkError::MeilisearchCommunication(c) => c.status_code == 429 || c.status_code >= 500,
        SdkError::Meilisearch(m) => m.error_type == meilisearch_sdk::errors::ErrorType::Internal,
        _ => false,
    }
}
