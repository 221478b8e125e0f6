//! Appointment slots from SMART Scheduling Links publications: a clinic, a service or
//! a city registers its `$bulk-publish` manifest URL with its publisher key, `serve`
//! polls it ([`poll`]), and answers say when the earliest free appointment near a
//! point is, and a facility's next one ([`answer`]). medmap books nothing: a slot
//! carries the publisher's booking link or phone, and medmap stores nothing about
//! the person who follows it. See docs/slots.md.

pub mod answer;
pub mod fhir;
pub mod manifest;
pub mod matching;
pub mod poll;

use crate::feeds::pull::fetch::{self, UrlPolicy};
use crate::feeds::pull::{parse_every, MAX_EVERY_SECS, MIN_EVERY_SECS};
use crate::store::{Store, StoreError};

/// Incremental polls (`_since=`) see changes but not removals: a full poll at least
/// this often, and on every "poll now", reads the publication whole.
pub const FULL_EVERY_SECS: i64 = 3600;

/// Why a publication could not be registered or polled.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    /// Bad registration input: which field and why.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("no slot publication {0}")]
    NotFound(i64),
    #[error("a poll of slot publication {0} is under way")]
    Busy(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a registration: the URL by the pull feeds' rule, the interval.
pub fn check_registration(
    url: &str,
    every_secs: i64,
    policy: UrlPolicy,
    min_every_secs: i64,
) -> Result<(), SlotError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| SlotError::Invalid("url", format!("not a URL: {e}")))?;
    fetch::check_url(&parsed, policy).map_err(|m| SlotError::Invalid("url", m))?;
    if url.len() > 2000 {
        return Err(SlotError::Invalid("url", "at most 2000 characters".into()));
    }
    if !(min_every_secs..=MAX_EVERY_SECS).contains(&every_secs) {
        return Err(SlotError::Invalid(
            "every",
            format!("every must be between {min_every_secs} s and {MAX_EVERY_SECS} s (7 days), got {every_secs} s"),
        ));
    }
    Ok(())
}

/// `medmap slots …`, parsed by the binary.
pub enum SlotsAction {
    Add {
        key_id: i64,
        url: String,
        every: String,
        allow_private_urls: bool,
    },
    List,
    Remove {
        id: i64,
    },
}

/// Runs a `slots` subcommand against the database (`poll-now` needs the snapshot
/// and runs in the binary). A running server polls a new publication at its next
/// look.
pub async fn cli(store: &Store, action: SlotsAction) -> anyhow::Result<()> {
    match action {
        SlotsAction::Add {
            key_id,
            url,
            every,
            allow_private_urls,
        } => {
            let every_secs = parse_every(&every).ok_or_else(|| {
                anyhow::anyhow!("--every must look like 5m, 1h, 90s or 1d, got {every:?}")
            })?;
            let policy = UrlPolicy {
                allow_private: allow_private_urls,
            };
            check_registration(&url, every_secs, policy, MIN_EVERY_SECS)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let publisher = store.active_key_publisher(key_id).await?.ok_or_else(|| {
                anyhow::anyhow!("no active key with id {key_id} (see medmap keys list)")
            })?;
            let row = store
                .add_slot_publication(key_id, publisher, url.trim(), every_secs)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the publisher already has {url}"))?;
            println!(
                "slot publication {} added: {} every {} s for key {key_id}; medmap serve polls it within its next look",
                row.id, row.url, row.every_secs
            );
            Ok(())
        }
        SlotsAction::List => {
            println!("id\tkey\tpublisher\tevery_s\turl\tlast_status\tlast_success_at\tfailures\tnext_at\tlast_error");
            for p in store.list_slot_publications(None).await? {
                println!(
                    "{}\t{}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.key_id,
                    if p.key_revoked { " (revoked)" } else { "" },
                    p.publisher_id,
                    p.every_secs,
                    p.url,
                    p.last_status.as_deref().unwrap_or("-"),
                    p.last_success_at.map_or("-".into(), |t| t.to_string()),
                    p.failures,
                    p.next_at,
                    p.last_error.as_deref().unwrap_or("-"),
                );
            }
            Ok(())
        }
        SlotsAction::Remove { id } => {
            if !store.remove_slot_publication(id, None).await? {
                anyhow::bail!("no slot publication {id}");
            }
            println!("removed slot publication {id} and its slots");
            Ok(())
        }
    }
}
