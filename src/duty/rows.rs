//! A rota's rows as read (CSV or JSON) and their times turned into instants on the
//! facility's own clock.
//!
//! Two shapes, as rotas are written:
//! - `facility, from, to[, status][, note]`: a span. `from`/`to` are RFC 3339
//!   instants, or local date-times (`2026-12-24 20:00`, `24.12.2026 20:00`) read on
//!   the facility's clock; a bare date in `to` includes that day; `24:00` ends it.
//!   `status` is `open` (the default: on duty) or `closed`.
//! - `facility, date, hours[, note]`: special opening times for one local date
//!   (a holiday, a short day): `closed`, `24/7`, or `09:00-15:00[, 18:00-20:00]`,
//!   closed the rest of that date. An interval past midnight (`20:00-08:00`) runs
//!   into the next morning.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use medmap_indexers::hours::Special;
use serde_json::Value;

use crate::feeds::report::Rejection;

/// One row, its fields as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    /// The physical line of a CSV record; the element's position in a JSON list.
    pub line: u64,
    pub facility: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub date: Option<String>,
    pub hours: Option<String>,
    pub status: Option<String>,
    pub note: Option<String>,
}

/// Rows past this are refused: a national rota for a year is some 100,000 rows.
pub const MAX_ROWS: usize = 200_000;
/// A span longer than this is a typo (a year in the wrong place), not a duty.
const MAX_SPAN_DAYS: i64 = 62;

pub fn rejection(line: u64, field: &str, reason: &str, message: String) -> Box<Rejection> {
    Box::new(Rejection {
        line,
        field: Some(field.to_string()),
        reason: reason.to_string(),
        message,
        value: None,
        suggestions: Vec::new(),
    })
}

/// Which column a header names (several spellings, English, Ukrainian, Russian).
fn column(name: &str) -> Option<&'static str> {
    let n = name.trim().trim_start_matches('\u{feff}').to_lowercase();
    Some(match n.as_str() {
        "facility" | "facility_id" | "facility_ref" | "pharmacy" | "branch" | "аптека" => {
            "facility"
        }
        "from" | "start" | "starts_at" | "з" | "с" | "початок" | "начало" => "from",
        "to" | "end" | "ends_at" | "до" | "по" | "кінець" | "конец" => "to",
        "date" | "дата" => "date",
        "hours" | "opening_hours" | "години" | "часы" => "hours",
        "status" | "state" | "статус" => "status",
        "note" | "comment" | "примітка" | "примечание" => "note",
        _ => return None,
    })
}

/// Reads a rota body: JSON (a list of objects, or `{"rows": [...]}`) when it
/// starts with `[` or `{`, else CSV with a header (`,`, `;` or tab), in UTF-8
/// or the Windows-1251 of older exports.
pub fn read(body: &[u8], charset: Option<&str>) -> Result<Vec<RawRow>, String> {
    let enc = crate::feeds::parse::encoding::choose(body, charset);
    let (text, _, bad) = enc.decode(body);
    if bad {
        return Err(format!("the body is not valid {}", enc.name()));
    }
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        read_json(trimmed)
    } else {
        read_csv(trimmed)
    }
}

fn read_json(text: &str) -> Result<Vec<RawRow>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("rows").or_else(|| o.remove("duty")) {
            Some(Value::Array(a)) => a,
            _ => return Err("a JSON rota is a list of rows, or {\"rows\": [...]}".into()),
        },
        _ => return Err("a JSON rota is a list of rows, or {\"rows\": [...]}".into()),
    };
    if list.len() > MAX_ROWS {
        return Err(format!("at most {MAX_ROWS} rows per rota"));
    }
    Ok(list
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let mut row = RawRow {
                line: i as u64 + 1,
                ..RawRow::default()
            };
            if let Value::Object(o) = item {
                for (k, v) in o {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => if b { "open" } else { "closed" }.to_string(),
                        _ => continue,
                    };
                    set(&mut row, column(&k), text);
                }
            }
            row
        })
        .collect())
}

fn set(row: &mut RawRow, col: Option<&str>, value: String) {
    let v = value.trim().to_string();
    let opt = (!v.is_empty()).then(|| v.clone());
    match col {
        Some("facility") => row.facility = v,
        Some("from") => row.from = opt,
        Some("to") => row.to = opt,
        Some("date") => row.date = opt,
        Some("hours") => row.hours = opt,
        Some("status") => row.status = opt,
        Some("note") => row.note = opt,
        _ => {}
    }
}

fn read_csv(text: &str) -> Result<Vec<RawRow>, String> {
    let first = text.lines().next().unwrap_or("");
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<Option<&'static str>> = rd
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?
        .iter()
        .map(column)
        .collect();
    if !header.contains(&Some("facility")) {
        return Err(
            "the header must name a facility column (facility,from,to or facility,date,hours)"
                .into(),
        );
    }
    let spans = header.contains(&Some("from")) && header.contains(&Some("to"));
    if !spans && !header.contains(&Some("date")) {
        return Err("the header must have from and to columns, or a date column".into());
    }
    // The physical line a record starts on, from its byte offset: the reader's own
    // count skips blank lines, and a publisher looks for the line in an editor.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line_of = |byte: u64| {
        // The offset may sit on the blank lines before the record.
        let mut b = byte as usize;
        while matches!(text.as_bytes().get(b), Some(b'\n' | b'\r')) {
            b += 1;
        }
        newlines.partition_point(|&n| n < b) as u64 + 1
    };
    let mut rows = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| format!("unreadable CSV: {e}"))?;
        let line = rec.position().map_or(0, |p| line_of(p.byte()));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(format!("at most {MAX_ROWS} rows per rota"));
        }
        let mut row = RawRow {
            line,
            ..RawRow::default()
        };
        for (col, field) in header.iter().zip(rec.iter()) {
            set(&mut row, *col, field.to_string());
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A local or absolute time as written, `end` saying a bare date means "to the end
/// of that day".
fn instant(s: &str, tz: Tz, end: bool) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1)) {
        return Some(t.with_timezone(&Utc));
    }
    // 24:00 ends a day: the next one's 00:00.
    let (s, plus_day) = match s.strip_suffix("24:00") {
        Some(head) => (format!("{head}00:00"), true),
        None => (s.to_string(), false),
    };
    let naive = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
    .map(|t| if plus_day { t + Duration::days(1) } else { t })
    .or_else(|| {
        let d = date(&s)?;
        let d = if end { d.succ_opt()? } else { d };
        Some(d.and_time(NaiveTime::MIN))
    })?;
    local(naive, tz)
}

fn date(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s.trim(), f).ok())
}

/// A wall time on `tz`'s clock: the first instant it names, or in a spring-forward
/// gap the first minute after it.
fn local(t: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .map(|x| x.with_timezone(&Utc))
}

fn status(row: &RawRow) -> Result<bool, Box<Rejection>> {
    match row.status.as_deref().map(|s| s.trim().to_lowercase()) {
        None => Ok(true),
        Some(s) => match s.as_str() {
            "open"
            | "duty"
            | "on duty"
            | "on_duty"
            | "yes"
            | "true"
            | "1"
            | "чергування"
            | "чергує"
            | "дежурство"
            | "дежурит"
            | "відчинено"
            | "открыто" => Ok(true),
            "closed" | "close" | "off" | "no" | "false" | "0" | "зачинено" | "закрыто" => {
                Ok(false)
            }
            _ => Err(rejection(
                row.line,
                "status",
                "invalid",
                format!("status must be open (on duty) or closed, got {s:?}"),
            )),
        },
    }
}

fn span(from: DateTime<Utc>, to: DateTime<Utc>, open: bool) -> Special {
    Special {
        from: from.timestamp(),
        to: to.timestamp(),
        open,
    }
}

/// The spans a row says, on the facility's clock `tz`: one for a span row, the
/// whole date cut into open and closed pieces for a date row.
pub fn spans(row: &RawRow, tz: Tz) -> Result<Vec<Special>, Box<Rejection>> {
    let bad = |field: &str, v: &str, what: &str| {
        let mut r = rejection(
            row.line,
            field,
            "invalid",
            format!("{field} {v:?} is not {what}"),
        );
        r.value = Some(v.to_string());
        r
    };
    let out = match (&row.from, &row.to, &row.date) {
        (Some(f), Some(t), _) => {
            let open = status(row)?;
            let from = instant(f, tz, false)
                .ok_or_else(|| bad("from", f, "a date and time (2026-12-24 20:00 or RFC 3339)"))?;
            let to = instant(t, tz, true)
                .ok_or_else(|| bad("to", t, "a date and time (2026-12-25 08:00 or RFC 3339)"))?;
            if to <= from {
                return Err(rejection(
                    row.line,
                    "to",
                    "ends_before_start",
                    format!("the row ends ({t}) before it starts ({f})"),
                ));
            }
            vec![span(from, to, open)]
        }
        (None, None, Some(d)) => {
            let day = date(d).ok_or_else(|| bad("date", d, "a date (2026-12-25 or 25.12.2026)"))?;
            let start = local(day.and_time(NaiveTime::MIN), tz);
            let end = day
                .succ_opt()
                .and_then(|n| local(n.and_time(NaiveTime::MIN), tz));
            let (Some(start), Some(end)) = (start, end) else {
                return Err(bad("date", d, "a date on the calendar"));
            };
            match &row.hours {
                Some(h) => day_spans(row, h, day, tz, start, end)?,
                None => vec![span(start, end, status(row)?)],
            }
        }
        _ => {
            return Err(rejection(
                row.line,
                "from",
                "missing",
                "a row needs from and to, or a date".into(),
            ))
        }
    };
    if let Some(s) = out.iter().find(|s| s.to - s.from > MAX_SPAN_DAYS * 86_400) {
        return Err(rejection(
            row.line,
            "to",
            "out_of_range",
            format!(
                "a span of {} days is longer than the {MAX_SPAN_DAYS} a rota row may cover",
                (s.to - s.from) / 86_400
            ),
        ));
    }
    Ok(out)
}

/// `hours` for one date: open intervals, closed between and around them.
fn day_spans(
    row: &RawRow,
    hours: &str,
    day: NaiveDate,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Special>, Box<Rejection>> {
    let h = hours.trim().to_lowercase();
    if matches!(
        h.as_str(),
        "closed" | "off" | "зачинено" | "закрыто" | "вихідний" | "выходной"
    ) {
        return Ok(vec![span(start, end, false)]);
    }
    if matches!(
        h.as_str(),
        "24/7" | "00:00-24:00" | "цілодобово" | "круглосуточно"
    ) {
        return Ok(vec![span(start, end, true)]);
    }
    let invalid = || {
        let mut r = rejection(
            row.line,
            "hours",
            "invalid",
            format!("hours {hours:?} are not closed, 24/7 or HH:MM-HH:MM[, HH:MM-HH:MM]"),
        );
        r.value = Some(hours.to_string());
        r
    };
    let mut open = Vec::new();
    for part in h.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once(['-', '–']).ok_or_else(invalid)?;
        let time = |t: &str| -> Option<(NaiveTime, bool)> {
            let t = t.trim();
            if t == "24:00" {
                return Some((NaiveTime::MIN, true));
            }
            NaiveTime::parse_from_str(t, "%H:%M")
                .ok()
                .map(|x| (x, false))
        };
        let ((a, _), (b, b24)) = (time(a).ok_or_else(invalid)?, time(b).ok_or_else(invalid)?);
        let next = day.succ_opt().ok_or_else(invalid)?;
        let from = local(day.and_time(a), tz).ok_or_else(invalid)?;
        let to_day = if b24 || b <= a { next } else { day };
        let to = local(to_day.and_time(b), tz).ok_or_else(invalid)?;
        open.push((from, to));
    }
    if open.is_empty() {
        return Err(invalid());
    }
    open.sort();
    let mut out = Vec::new();
    let mut cursor = start;
    for (a, b) in open {
        if a < cursor {
            return Err(rejection(
                row.line,
                "hours",
                "overlap",
                format!("the intervals of {hours:?} overlap"),
            ));
        }
        if a > cursor {
            out.push(span(cursor, a, false));
        }
        out.push(span(a, b, true));
        cursor = b;
    }
    if cursor < end {
        out.push(span(cursor, end, false));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(from: &str, to: &str) -> RawRow {
        RawRow {
            line: 2,
            facility: "1".into(),
            from: Some(from.into()),
            to: Some(to.into()),
            ..RawRow::default()
        }
    }

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn local_times_are_read_on_the_facilitys_clock() {
        let kyiv = chrono_tz::Europe::Kyiv;
        let s = spans(&row("24.12.2026 20:00", "2026-12-25 08:00"), kyiv).unwrap();
        assert_eq!(
            s,
            vec![Special {
                from: at("2026-12-24T18:00:00Z"),
                to: at("2026-12-25T06:00:00Z"),
                open: true
            }]
        );
        // A bare date in `to` includes the day; 24:00 ends one.
        let s = spans(&row("2026-12-24", "2026-12-24"), kyiv).unwrap();
        assert_eq!(
            (s[0].from, s[0].to),
            (at("2026-12-23T22:00:00Z"), at("2026-12-24T22:00:00Z"))
        );
        let s = spans(&row("2026-12-24 20:00", "2026-12-24 24:00"), kyiv).unwrap();
        assert_eq!(s[0].to, at("2026-12-24T22:00:00Z"));
        // An instant with an offset is taken as it is.
        let s = spans(
            &row("2026-12-24T20:00:00Z", "2026-12-25T08:00:00+02:00"),
            kyiv,
        )
        .unwrap();
        assert_eq!(
            (s[0].from, s[0].to),
            (at("2026-12-24T20:00:00Z"), at("2026-12-25T06:00:00Z"))
        );
    }

    #[test]
    fn a_row_that_ends_before_it_starts_is_refused_with_its_line() {
        let e = spans(&row("2026-12-25 08:00", "2026-12-24 20:00"), chrono_tz::UTC).unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str(), e.field.as_deref()),
            (2, "ends_before_start", Some("to"))
        );
        let e = spans(&row("2026-12-25 08:00", "2026-12-25 08:00"), chrono_tz::UTC).unwrap_err();
        assert_eq!(e.reason, "ends_before_start");
        let e = spans(&row("yesterday", "2026-12-25 08:00"), chrono_tz::UTC).unwrap_err();
        assert_eq!(
            (e.reason.as_str(), e.field.as_deref()),
            ("invalid", Some("from"))
        );
        let e = spans(&row("2026-01-01", "2026-12-31"), chrono_tz::UTC).unwrap_err();
        assert_eq!(e.reason, "out_of_range");
    }

    #[test]
    fn a_date_with_hours_closes_the_rest_of_the_day() {
        let r = RawRow {
            line: 3,
            facility: "1".into(),
            date: Some("2026-12-31".into()),
            hours: Some("09:00-15:00".into()),
            ..RawRow::default()
        };
        let s = spans(&r, chrono_tz::UTC).unwrap();
        let sp = |a: &str, b: &str, open| Special {
            from: at(a),
            to: at(b),
            open,
        };
        assert_eq!(
            s,
            vec![
                sp("2026-12-31T00:00:00Z", "2026-12-31T09:00:00Z", false),
                sp("2026-12-31T09:00:00Z", "2026-12-31T15:00:00Z", true),
                sp("2026-12-31T15:00:00Z", "2027-01-01T00:00:00Z", false),
            ]
        );
        let closed = RawRow {
            hours: Some("closed".into()),
            ..r.clone()
        };
        assert_eq!(
            spans(&closed, chrono_tz::UTC).unwrap(),
            vec![sp("2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z", false)]
        );
        let night = RawRow {
            hours: Some("20:00-08:00".into()),
            ..r.clone()
        };
        assert_eq!(
            spans(&night, chrono_tz::UTC).unwrap().last(),
            Some(&sp("2026-12-31T20:00:00Z", "2027-01-01T08:00:00Z", true))
        );
        let junk = RawRow {
            hours: Some("morning".into()),
            ..r
        };
        assert_eq!(
            spans(&junk, chrono_tz::UTC).unwrap_err().field.as_deref(),
            Some("hours")
        );
    }

    #[test]
    fn csv_and_json_read_alike() {
        let csv = "facility;from;to;status;note\n12;2026-12-24 20:00;2026-12-25 08:00;;night duty\n\n13;2026-12-25;2026-12-25;closed;\n";
        let rows = read(csv.as_bytes(), None).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].line,
                rows[0].facility.as_str(),
                rows[0].note.as_deref()
            ),
            (2, "12", Some("night duty"))
        );
        assert_eq!(
            (rows[1].line, rows[1].status.as_deref()),
            (4, Some("closed"))
        );
        let json = r#"{"rows":[{"facility":12,"from":"2026-12-24 20:00","to":"2026-12-25 08:00","note":"night duty"}]}"#;
        let j = read(json.as_bytes(), None).unwrap();
        assert_eq!(
            (j[0].facility.as_str(), j[0].from.as_deref()),
            ("12", Some("2026-12-24 20:00"))
        );
        // Windows-1251 headers in Ukrainian.
        let (bytes, _, _) =
            encoding_rs::WINDOWS_1251.encode("аптека,з,до\n12,24.12.2026 20:00,25.12.2026 08:00\n");
        assert_eq!(
            read(&bytes, None).unwrap()[0].to.as_deref(),
            Some("25.12.2026 08:00")
        );
        assert!(read(b"name,when\nx,y\n", None)
            .unwrap_err()
            .contains("facility"));
        assert!(read(b"[1,", None).unwrap_err().contains("JSON"));
    }
}
