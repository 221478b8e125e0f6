//! Tabletki.ua "Offers" XML: `<Offers><Offer Code=".." Name=".." Price=".." .../></Offers>`,
//! one file per branch; the branch and the time are in the file name only.

use std::borrow::Cow;
use std::io::{BufReader, Read};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{ParseError, RawRow, Sink};
use crate::feeds::CodeSystem;

/// Parses the offers of one branch. `line` in the report is the offer's position.
pub(super) fn parse(
    reader: Box<dyn Read + Send>,
    branch: Option<&str>,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let mut xml = Reader::from_reader(BufReader::with_capacity(256 * 1024, reader));
    let mut buf = Vec::new();
    let mut n = 0u64;
    let mut saw_root = false;
    loop {
        let ev = xml.read_event_into(&mut buf).map_err(|e| {
            ParseError::Format(format!(
                "malformed XML near byte {} (after {n} offers): {e}",
                xml.buffer_position()
            ))
        })?;
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name();
                let local = name.local_name();
                if local.into_inner().eq_ignore_ascii_case("Offers") {
                    saw_root = true;
                } else if local.into_inner().eq_ignore_ascii_case("Offer") {
                    n += 1;
                    let mut vals: [Option<Cow<'_, str>>; 13] = Default::default();
                    let mut bad = None;
                    for a in e.attributes() {
                        let a = match a {
                            Ok(a) => a,
                            Err(err) => {
                                bad = Some(format!("bad attribute: {err}"));
                                break;
                            }
                        };
                        let slot = match a.key.local_name().into_inner() {
                            "Code" => 0,
                            "Name" => 1,
                            "Price" => 2,
                            "Quantity" => 3,
                            "PriceReserve" => 4,
                            "Barcode" => 5,
                            "Code1" => 6,
                            "Code2" => 7,
                            "Code7" => 8,
                            "Code9" => 9,
                            "Producer" => 10,
                            "RegistrationNumber" | "RegNumber" => 11,
                            "Branch" | "BranchCode" => 12,
                            _ => continue,
                        };
                        match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                            Ok(v) => vals[slot] = Some(Cow::Owned(v.into_owned())),
                            Err(err) => {
                                bad = Some(format!("bad attribute value: {err}"));
                                break;
                            }
                        }
                    }
                    if let Some(msg) = bad {
                        sink.parsed.rows_read += 1;
                        sink.reject(n, None, "malformed", msg);
                        continue;
                    }
                    let v = |i: usize| vals[i].as_deref();
                    let mut row = RawRow {
                        facility: v(12).or(branch),
                        name: v(1),
                        price: v(2),
                        quantity: v(3),
                        reserve: v(4),
                        ..RawRow::default()
                    };
                    row.set_code(CodeSystem::Chain, v(0));
                    row.set_code(CodeSystem::Barcode, v(5));
                    row.set_code(CodeSystem::Morion, v(6));
                    row.set_code(CodeSystem::Optima, v(7));
                    row.set_code(CodeSystem::Badm, v(8));
                    row.set_code(CodeSystem::Venta, v(9));
                    row.set_code(CodeSystem::Register, v(11));
                    if row.facility.is_none() {
                        sink.parsed.rows_read += 1;
                        sink.reject(
                            n,
                            Some("facility"),
                            "missing",
                            "Tabletki XML names its branch only in the file name Rest_<branch>_<yyyymmddhhmmss>; send it as ?filename= or the X-Filename header".into(),
                        );
                        continue;
                    }
                    sink.push(n, &row);
                }
            }
            _ => {}
        }
        buf.clear();
    }
    if !saw_root && n == 0 {
        return Err(ParseError::Format(
            "XML without <Offers>: only Tabletki.ua Offers XML is accepted".into(),
        ));
    }
    Ok(())
}
