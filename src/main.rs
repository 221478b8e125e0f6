//! The `medmap` command line: serve, import, export, eval, keys, feed, backup,
//! restore, stats, publishers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use medmap::config::{init_tracing, LogFormat};
use medmap::import::{self, ImportReport};
use medmap::store::Store;

/// glibc's allocator spent a third of a search request's CPU in `_int_malloc` and
/// `malloc_consolidate` under load (perf, 2 worker threads); mimalloc's per-thread
/// free lists make the many small per-request allocations cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "medmap",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("MEDMAP_COMMIT"), ")"),
    about = "Medication search and directory of medical and social services"
)]
struct Cli {
    /// Database URL: sqlite://FILE (default, created if missing) or postgres://...
    #[arg(
        long = "db",
        env = "DATABASE_URL",
        default_value = "sqlite://medmap.db",
        global = true
    )]
    db: String,
    /// Log format on stderr (level from RUST_LOG, default info).
    #[arg(long, env = "MEDMAP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and pages; imports the bundled data into an empty database first.
    Serve(medmap::config::ServeArgs),
    /// Import one source into the database: `medmap import <source> <path>`.
    Import {
        /// One of: ua-drlz, ru-kz, us-fda, medications, nhs-pharmacies, nhs-gp, nhs-hospitals, osm, ohana, hsds-json, hsds-csv, demo-stock, synthetic-services, duty (a city's duty rota CSV/JSON), bundled
        source: String,
        /// File or folder to read (ignored by demo-stock and synthetic-services).
        #[arg(default_value = "data")]
        path: PathBuf,
        /// Seed of the demo stock and synthetic services generators.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Export data in an open standard: `medmap export hsds --format json|csv --out DIR`.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Measure search quality: `medmap eval names`.
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
    /// Publisher API keys for stock feeds.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Stock feed client for pharmacies.
    Feed {
        #[command(subcommand)]
        action: FeedCommand,
    },
    /// Pull feeds: URLs `medmap serve` fetches on schedule for a publisher's key.
    Feeds {
        #[command(subcommand)]
        action: FeedsCommand,
    },
    /// Appointment slots: SMART Scheduling Links manifests `medmap serve` polls (docs/slots.md).
    Slots {
        #[command(subcommand)]
        action: SlotsCommand,
    },
    /// A consistent copy of a SQLite store, taken while the server runs (PostgreSQL: pg_dump).
    Backup {
        /// The copy to write (replaced only once the new copy is complete and checked).
        #[arg(long)]
        out: PathBuf,
    },
    /// Puts a backup in place of the SQLite store (checked first; refused while a server has it open).
    Restore {
        /// A file made by `medmap backup`.
        file: PathBuf,
    },
    /// What the store holds and what the running server at --url holds.
    Stats(medmap::admin::stats::StatsArgs),
    /// Publishers and how fresh their stock is.
    Publishers {
        #[command(subcommand)]
        action: PublishersCommand,
    },
    /// Asks a running server's /readyz (exit 0 on 200): the container HEALTHCHECK.
    Healthcheck(medmap::healthcheck::HealthArgs),
    /// A mirror of medications, facilities and services in a Meilisearch (docs/meilisearch.md).
    Meili {
        #[command(subcommand)]
        action: MeiliCommand,
    },
}

#[derive(Subcommand)]
enum MeiliCommand {
    /// Creates or updates the indexes: sends what changed, deletes what medmap no longer has.
    Sync(medmap::meili::cli::SyncArgs),
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// Registers a URL to fetch for the key's publisher (https, public addresses only).
    AddPull {
        /// The key's id (as `medmap keys list` shows).
        #[arg(long)]
        key_id: i64,
        #[arg(long)]
        url: String,
        /// How often: 15m, 1h, 1d (at least 1m).
        #[arg(long, default_value = "15m")]
        every: String,
        /// snapshot or delta (default: what the file says, else snapshot).
        #[arg(long)]
        mode: Option<String>,
        /// Accept a private or loopback address or plain http (the server must allow them too).
        #[arg(long, env = "MEDMAP_ALLOW_PRIVATE_URLS")]
        allow_private_urls: bool,
    },
    /// Lists every pull with its state (last status, failures, error, next fetch).
    ListPulls,
    /// Removes a pull by id.
    RemovePull { id: i64 },
}

#[derive(Subcommand)]
enum SlotsCommand {
    /// Registers a `$bulk-publish` manifest URL for the key's publisher (https, public addresses only).
    Add {
        /// The key's id (as `medmap keys list` shows).
        #[arg(long)]
        key_id: i64,
        #[arg(long)]
        url: String,
        /// How often: 5m, 1h (at least 1m); also the interval past which its slots may be out of date.
        #[arg(long, default_value = "15m")]
        every: String,
        /// Accept a private or loopback address or plain http (the server must allow them too).
        #[arg(long, env = "MEDMAP_ALLOW_PRIVATE_URLS")]
        allow_private_urls: bool,
    },
    /// Lists every publication with its last poll, last success and error.
    List,
    /// Removes a publication and its slots.
    Remove { id: i64 },
    /// Reads a publication whole now and prints the report.
    PollNow {
        id: i64,
        /// Accept a private or loopback address or plain http.
        #[arg(long, env = "MEDMAP_ALLOW_PRIVATE_URLS")]
        allow_private_urls: bool,
    },
}

#[derive(Subcommand)]
enum PublishersCommand {
    /// Every publisher: facilities, lines, last push, stale or fresh (the /status rule).
    List(medmap::admin::publishers::ListArgs),
}

#[derive(Subcommand)]
enum ExportWhat {
    /// The social-services directory as an Open Referral HSDS 3.0 datapackage.
    Hsds {
        /// json (fully nested documents) or csv (the 21 tabular files).
        #[arg(long, default_value = "json")]
        format: String,
        /// Folder to write (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum EvalWhat {
    /// Recall@1/@5 of medication-name search per category, synthetic and hand-written.
    Names(medmap::eval::EvalArgs),
    /// Recall@1/@3 of the services search per category, beside a trigram baseline.
    Services(medmap::eval::services::ServicesEvalArgs),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Creates a key (printed once) for a publisher, created if new, scoped to facilities.
    Create {
        /// Publisher (pharmacy or chain) name.
        #[arg(long)]
        publisher: String,
        /// Facility: `[BRANCH=]REF`, REF a medmap id, uuid or system:value (ods:FA123);
        /// BRANCH the chain's own code for it (Tabletki branch). Repeatable.
        #[arg(long = "facility")]
        facilities: Vec<String>,
        /// File with one facility spec per line (same syntax as --facility).
        #[arg(long)]
        facilities_file: Option<PathBuf>,
        /// The publisher's default currency (ISO 4217).
        #[arg(long)]
        currency: Option<String>,
    },
    /// Lists keys without revealing them (id, publisher, prefix, created, revoked).
    List,
    /// Revokes a key by id or prefix.
    Revoke {
        /// Key id or prefix (as `keys list` shows).
        key: String,
    },
}

#[derive(Subcommand)]
enum FeedCommand {
    /// Pushes a stock file (CSV, JSON, NDJSON, Tabletki XML/zip, Morion JSON, Liki24 CSV).
    Push {
        /// medmap base URL, e.g. https://medmap.example.org
        #[arg(long, env = "MEDMAP_URL")]
        url: String,
        /// The publisher's API key.
        #[arg(long, env = "MEDMAP_FEED_KEY")]
        key: String,
        #[arg(long)]
        file: PathBuf,
        /// snapshot (default) or delta.
        #[arg(long)]
        mode: Option<String>,
        /// Reject the whole push on any error.
        #[arg(long)]
        strict: bool,
        /// Makes a retried push harmless.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

impl From<KeysCommand> for medmap::feeds::keys::KeysAction {
    fn from(c: KeysCommand) -> Self {
        use medmap::feeds::keys::KeysAction;
        match c {
            KeysCommand::Create {
                publisher,
                facilities,
                facilities_file,
                currency,
            } => KeysAction::Create {
                publisher,
                facilities,
                facilities_file,
                currency,
            },
            KeysCommand::List => KeysAction::List,
            KeysCommand::Revoke { key } => KeysAction::Revoke { key },
        }
    }
}

fn print_reports(reports: &[ImportReport]) {
    for r in reports {
        println!("{r}");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let result: anyhow::Result<()> = async {
        match cli.command {
            Command::Serve(args) => medmap::serve::run(&cli.db, args).await,
            Command::Eval {
                what: EvalWhat::Names(args),
            } => medmap::eval::run_names(&cli.db, args).await,
            Command::Eval {
                what: EvalWhat::Services(args),
            } => medmap::eval::services::run_services(&cli.db, args).await,
            Command::Import { source, path, seed } => {
                let store = Store::connect(&cli.db).await?;
                let (reports, merge) = import::import_source(&store, &source, &path, seed).await?;
                print_reports(&reports);
                if let Some(m) = merge {
                    println!(
                        "substances: {} ({} merged across registers, {} known to one register only) from {} names",
                        m.substances, m.merged_across_registers, m.single_register, m.mentions
                    );
                }
                store.close().await;
                Ok(())
            }
            Command::Export {
                what: ExportWhat::Hsds { format, out },
            } => {
                let format = medmap::hsds::export::Format::parse(&format)
                    .ok_or_else(|| anyhow::anyhow!("--format must be json or csv, got {format:?}"))?;
                let store = Store::connect(&cli.db).await?;
                let snap = medmap::snapshot::Snapshot::load(&store).await?;
                store.close().await;
                let summary = medmap::hsds::export::write(&snap, format, &out)?;
                for (file, n) in &summary.files {
                    println!("{}: {n} records", out.join(file).display());
                }
                Ok(())
            }
            Command::Feeds { action } => {
                use medmap::feeds::pull::PullsAction;
                let action = match action {
                    FeedsCommand::AddPull {
                        key_id,
                        url,
                        every,
                        mode,
                        allow_private_urls,
                    } => PullsAction::Add {
                        key_id,
                        url,
                        every,
                        mode,
                        allow_private_urls,
                    },
                    FeedsCommand::ListPulls => PullsAction::List,
                    FeedsCommand::RemovePull { id } => PullsAction::Remove { id },
                };
                let store = Store::connect(&cli.db).await?;
                let r = medmap::feeds::pull::cli(&store, action).await;
                store.close().await;
                r
            }
            Command::Slots { action } => {
                use medmap::slots::SlotsAction;
                let store = Store::connect(&cli.db).await?;
                let action = match action {
                    SlotsCommand::Add {
                        key_id,
                        url,
                        every,
                        allow_private_urls,
                    } => SlotsAction::Add {
                        key_id,
                        url,
                        every,
                        allow_private_urls,
                    },
                    SlotsCommand::List => SlotsAction::List,
                    SlotsCommand::Remove { id } => SlotsAction::Remove { id },
                    SlotsCommand::PollNow {
                        id,
                        allow_private_urls,
                    } => {
                        let r = slots_poll_now(&store, id, allow_private_urls).await;
                        store.close().await;
                        return r;
                    }
                };
                let r = medmap::slots::cli(&store, action).await;
                store.close().await;
                r
            }
            Command::Backup { out } => {
                println!("{}", medmap::backup::backup(&cli.db, &out).await?);
                Ok(())
            }
            Command::Restore { file } => {
                println!("restored {}", medmap::backup::restore(&cli.db, &file).await?);
                Ok(())
            }
            Command::Stats(args) => medmap::admin::stats::run(&cli.db, args).await,
            Command::Publishers {
                action: PublishersCommand::List(args),
            } => medmap::admin::publishers::run(&cli.db, args).await,
            Command::Meili {
                action: MeiliCommand::Sync(args),
            } => medmap::meili::cli::run(&cli.db, args).await,
            Command::Healthcheck(args) => {
                let body = medmap::healthcheck::check(&args).await?;
                println!("{body}");
                Ok(())
            }
            Command::Keys { action } => {
                let store = Store::connect(&cli.db).await?;
                let r = medmap::feeds::keys::cli(&store, action.into()).await;
                store.close().await;
                r
            }
            Command::Feed {
                action:
                    FeedCommand::Push {
                        url,
                        key,
                        file,
                        mode,
                        strict,
                        idempotency_key,
                    },
            } => {
                let (ok, text) = medmap::feeds::client::push(&medmap::feeds::client::PushArgs {
                    url: &url,
                    key: &key,
                    file: &file,
                    mode: mode.as_deref(),
                    strict,
                    idempotency_key: idempotency_key.as_deref(),
                })
                .await?;
                print!("{text}");
                if ok {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("the push was not accepted"))
                }
            }
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `medmap slots poll-now ID`: one full read of a publication with the directory
/// loaded for matching, the report printed as JSON.
async fn slots_poll_now(store: &Store, id: i64, allow_private_urls: bool) -> anyhow::Result<()> {
    let snap = medmap::snapshot::Snapshot::load(store).await?;
    let cell = medmap::snapshot::SnapshotCell::new();
    cell.set(snap);
    let settings = medmap::config::Settings {
        allow_private_urls,
        ..Default::default()
    };
    let poller = medmap::slots::poll::Poller::new(store.clone(), cell, settings.pull_settings())?;
    let out = poller.run(id, true).await?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
