//! Writes the seeded stock fixture as CSV for PostgreSQL `COPY`, so PostGIS
//! and the in-process index measure the same rows.
//!
//! `cargo run -p medmap-benches --release --example gen_stock -- --out DIR`
//! (`STOCK_LINES=40000000` for the 40M run). Writes `DIR/pharmacy.csv`
//! (id, lat, lon, hours, open_now at the fixture's "now") and `DIR/stock.csv`
//! (product, pharmacy, status 0=in stock 1=low 2=out 3=unknown, quantity, price,
//! checked_at as a UTC timestamp),
//! plus `DIR/params.env` with the values the pgbench script needs.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use medmap_benches::stock_fixture::{Fixture, FixtureConfig};
use medmap_indexers::hours::Hours;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: gen_stock --out DIR   (STOCK_LINES=n to scale)");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let dir = out.ok_or("--out DIR is required")?;
    std::fs::create_dir_all(&dir)?;
    let cfg = FixtureConfig::from_env();
    let fx = Fixture::generate(cfg.clone());
    let now = DateTime::<Utc>::from_timestamp(cfg.now, 0).ok_or("bad fixture time")?;

    let mut w = csv::Writer::from_path(dir.join("pharmacy.csv"))?;
    for p in &fx.pharmacies {
        let h = Hours::parse_osm(&p.hours, chrono_tz::Europe::Kyiv, Some("UA"));
        let open = h.is_open_at(now) == Some(true);
        w.write_record([
            p.id.to_string(),
            format!("{:.7}", p.lat),
            format!("{:.7}", p.lon),
            p.hours.clone(),
            open.to_string(),
        ])?;
    }
    w.flush()?;

    // Plain formatted writes: 10M rows through csv's quoting is slower and
    // these fields never need quoting.
    let mut s = BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("stock.csv"))?);
    let mut n = 0usize;
    for (product, l) in fx.lines() {
        let q = l.quantity.map_or(String::new(), |q| q.to_string());
        let p = l.price_minor.map_or(String::new(), |p| p.to_string());
        let at = DateTime::<Utc>::from_timestamp(l.checked_at, 0).ok_or("bad checked_at")?;
        writeln!(
            s,
            "{product},{},{},{q},{p},{}",
            l.facility,
            l.status as u8,
            at.format("%Y-%m-%d %H:%M:%S+00")
        )?;
        n += 1;
    }
    s.flush()?;
    std::fs::write(
        dir.join("params.env"),
        format!(
            "PHARMACIES={}\nPRODUCTS={}\nLINES={n}\nNOW={}\n",
            cfg.pharmacies, cfg.products, cfg.now
        ),
    )?;
    println!(
        "wrote {} pharmacies and {n} stock lines to {}",
        fx.pharmacies.len(),
        dir.display()
    );
    Ok(())
}
