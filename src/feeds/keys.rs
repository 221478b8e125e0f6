//! Publisher API keys: 256 random bits shown once, stored only as SHA-256, found by
//! a non-secret prefix and compared in constant time, so neither the database nor
//! response timing gives a key away.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{KeyCandidate, Store};

/// Every key starts with this, so a leaked key is recognisable in logs and scanners.
pub const KEY_PREFIX: &str = "mmk_";
/// Hex characters of the random part used as the look-up prefix (48 bits: unique in
/// practice, useless for guessing the rest).
const LOOKUP_CHARS: usize = 12;

/// A new key: the secret (show once) and what is stored.
pub struct NewKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn generate() -> NewKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    NewKey {
        hash: hash(&secret),
        prefix: lookup_prefix(&secret).unwrap_or_default().to_string(),
        secret,
    }
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The stored look-up prefix of a well-formed key.
pub fn lookup_prefix(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(KEY_PREFIX)?;
    if rest.len() != 64 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(&secret[..KEY_PREFIX.len() + LOOKUP_CHARS])
}

/// Why a key was refused (all answered 401 alike; the reason goes to the log only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Malformed,
    Unknown,
    Revoked,
}

/// The key's owner, or why not.
pub async fn authenticate(
    store: &Store,
    secret: &str,
) -> Result<Result<KeyCandidate, KeyError>, crate::store::StoreError> {
    let Some(prefix) = lookup_prefix(secret) else {
        return Ok(Err(KeyError::Malformed));
    };
    let want = hash(secret);
    let mut found = None;
    for c in store.keys_by_prefix(prefix).await? {
        // Constant-time over the full hash; every candidate is compared.
        if bool::from(c.key_hash.as_bytes().ct_eq(want.as_bytes())) {
            found = Some(c);
        }
    }
    Ok(match found {
        None => Err(KeyError::Unknown),
        Some(c) if c.revoked_at.is_some() => Err(KeyError::Revoked),
        Some(c) => Ok(c),
    })
}

/// `medmap keys ...`, parsed by the binary.
pub enum KeysAction {
    Create {
        publisher: String,
        facilities: Vec<String>,
        facilities_file: Option<std::path::PathBuf>,
        currency: Option<String>,
    },
    List,
    Revoke {
        key: String,
    },
}

/// Runs a `keys` subcommand, printing to stdout.
pub async fn cli(store: &Store, action: KeysAction) -> anyhow::Result<()> {
    use crate::store::FacilitySpec;
    match action {
        KeysAction::Create {
            publisher,
            mut facilities,
            facilities_file,
            currency,
        } => {
            if let Some(f) = facilities_file {
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", f.display()))?;
                facilities.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                        .map(str::to_string),
                );
            }
            if facilities.is_empty() {
                anyhow::bail!("name at least one facility (--facility or --facilities-file)");
            }
            if let Some(c) = &currency {
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    anyhow::bail!("--currency must be an ISO 4217 code such as UAH");
                }
            }
            let specs: Vec<FacilitySpec> =
                facilities.iter().map(|f| FacilitySpec::parse(f)).collect();
            let refs: Vec<&str> = specs.iter().map(|s| s.reference.as_str()).collect();
            let found = store.resolve_facility_refs(&refs).await?;
            let mut scope = Vec::new();
            let mut missing = Vec::new();
            for s in &specs {
                match found.get(&s.reference) {
                    Some(id) => scope.push((*id, s.branch_code.clone())),
                    None => missing.push(s.reference.clone()),
                }
            }
            if !missing.is_empty() {
                anyhow::bail!("unknown facilities: {}", missing.join(", "));
            }
            let key = generate();
            let (pid, kid) = store
                .create_key(
                    &publisher,
                    currency.as_deref(),
                    &scope,
                    &key.hash,
                    &key.prefix,
                )
                .await?;
            eprintln!(
                "created key {kid} for publisher {publisher:?} (id {pid}), {} facilities; the key is shown once:",
                scope.len()
            );
            println!("{}", key.secret);
            Ok(())
        }
        KeysAction::List => {
            println!("id\tpublisher\tprefix\tfacilities\tcreated_at\trevoked_at");
            for k in store.list_keys().await? {
                println!(
                    "{}\t{}\t{}…\t{}\t{}\t{}",
                    k.id,
                    k.publisher,
                    k.prefix,
                    k.facilities,
                    k.created_at,
                    k.revoked_at.map_or("-".to_string(), |t| t.to_string())
                );
            }
            Ok(())
        }
        KeysAction::Revoke { key } => {
            let n = store.revoke_key(&key).await?;
            if n == 0 {
                anyhow::bail!("no active key with id or prefix {key:?}");
            }
            println!("revoked {n} key(s)");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_hashed_and_prefixed() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 4 + 64);
        assert_eq!(a.hash, hash(&a.secret));
        assert!(!a.hash.contains(&a.secret[4..]));
        assert_eq!(lookup_prefix(&a.secret), Some(a.prefix.as_str()));
        assert_eq!(lookup_prefix("mmk_short"), None);
        assert_eq!(lookup_prefix(&a.secret.replace("mmk_", "xxx_")), None);
    }
}
