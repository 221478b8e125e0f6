//! `medmap feed push`: the pharmacy side. Streams the file (never loads it whole),
//! sends its name (Tabletki and Liki24 put branch and time there) and prints the
//! report.

use std::path::Path;

use anyhow::Context;

use super::report::Report;

/// Options of one push from the command line.
pub struct PushArgs<'a> {
    pub url: &'a str,
    pub key: &'a str,
    pub file: &'a Path,
    pub mode: Option<&'a str>,
    pub strict: bool,
    pub idempotency_key: Option<&'a str>,
}

/// Pushes and returns the report and whether the server accepted the push.
pub async fn push(a: &PushArgs<'_>) -> anyhow::Result<(bool, String)> {
    let file = tokio::fs::File::open(a.file)
        .await
        .with_context(|| format!("opening {}", a.file.display()))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ctype = match a
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("ndjson") | Some("jsonl") => "application/x-ndjson",
        Some("xml") => "application/xml",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    };
    let mut url = reqwest::Url::parse(&format!(
        "{}/api/v1/feeds/stock",
        a.url.trim_end_matches('/')
    ))
    .with_context(|| format!("bad --url {:?}", a.url))?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(m) = a.mode {
            q.append_pair("mode", m);
        }
        if a.strict {
            q.append_pair("strict", "true");
        }
    }
    let stream = tokio_util_stream(file);
    let mut req = reqwest::Client::new()
        .post(url)
        .bearer_auth(a.key)
        .header("content-type", ctype)
        .header("x-filename", name)
        .body(reqwest::Body::wrap_stream(stream));
    if let Some(len) = len {
        req = req.header("content-length", len);
    }
    if let Some(k) = a.idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let resp = req.send().await.context("sending the push")?;
    let status = resp.status();
    let text = resp.text().await.context("reading the answer")?;
    let Ok(body) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok((false, format!("HTTP {status}\n{text}\n")));
    };
    let report = if body.get("error").is_some() {
        body["error"]["details"]["report"].clone()
    } else {
        body.clone()
    };
    let text = match serde_json::from_value::<Report>(report) {
        Ok(r) => format!("HTTP {status}\n{r}"),
        Err(_) => format!("HTTP {status}\n{}", serde_json::to_string_pretty(&body)?),
    };
    Ok((status.is_success(), text))
}

/// A file as a stream of 256 KiB chunks.
fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_core::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut f = state?;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(f)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
