//! The `medmap` command line: serve, import, eval.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use medmap::config::{init_tracing, LogFormat};
use medmap::import::{self, ImportReport};
use medmap::store::Store;

#[derive(Parser)]
#[command(
    name = "medmap",
    version,
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
        /// One of: ua-drlz, ru-kz, us-fda, medications, nhs-pharmacies, nhs-gp, nhs-hospitals, osm, ohana, hsds-json, demo-stock, bundled
        source: String,
        /// File or folder to read (ignored by demo-stock).
        #[arg(default_value = "data")]
        path: PathBuf,
        /// Seed of the demo stock generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Measure search quality: `medmap eval names`.
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
}

#[derive(Subcommand)]
enum EvalWhat {
    /// Recall@1/@5 of medication-name search per category, synthetic and hand-written.
    Names(medmap::eval::EvalArgs),
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
            Command::Import { source, path, seed } => {
                let store = Store::connect(&cli.db).await?;
                let reports = import::import_source(&store, &source, &path, seed).await?;
                print_reports(&reports);
                store.close().await;
                Ok(())
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
