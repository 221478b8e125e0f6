//! A streaming XML walker for the element-per-field formats (CommerceML, YML, Google
//! local inventory XML): the document is read event by event, and only one record
//! element (an offer, an item) at a time is gathered into a small [`Node`] tree, so a
//! file of a million offers never exists in memory whole while each offer can be read
//! by name, in any child order, the way those formats allow.
//!
//! Text that the decoder could not map (U+FFFD: a Windows-1251 file sent as UTF-8, or
//! the reverse) is visible on the node ([`Node::garbled`]), so a row with mangled
//! names is rejected instead of stored under a wrong name.

use std::io::{BufReader, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::ParseError;

/// Largest record element gathered (text and attributes, in bytes): an offer is a few
/// hundred bytes; a runaway element is refused rather than held.
pub(super) const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// One element with its attributes, its own text and its child elements.
#[derive(Debug, Default, Clone)]
pub(super) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    fn size(&self) -> usize {
        self.name.len()
            + self
                .attrs
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }

    /// An attribute by local name (ASCII case ignored: exporters differ).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first child element of this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Every child element of this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    /// The trimmed text of the first child of this name, if it has any.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Whether any text or attribute under this node holds U+FFFD, the decoder's mark
    /// for bytes that are not in the file's encoding.
    pub fn garbled(&self) -> bool {
        self.text.contains('\u{fffd}')
            || self.attrs.iter().any(|(_, v)| v.contains('\u{fffd}'))
            || self.children.iter().any(Node::garbled)
    }
}

/// A document that is not XML (the walker's fields are passed apart, so the error can
/// be made while an event still borrows the read buffer).
fn error(
    xml: &Reader<BufReader<Box<dyn Read + Send>>>,
    records: u64,
    e: impl std::fmt::Display,
) -> ParseError {
    ParseError::Format(format!(
        "malformed XML near byte {} (after {records} records): {e}",
        xml.buffer_position()
    ))
}

/// What the walker met next.
pub(super) enum Step {
    /// An element opened at `depth` (the root is depth 1); `empty` for `<x/>`.
    Open {
        node: Node,
        empty: bool,
        depth: usize,
    },
    /// An element closed; the depth is back to `depth`.
    Close {
        depth: usize,
    },
    Eof,
}

/// The document being walked.
pub(super) struct Walker {
    xml: Reader<BufReader<Box<dyn Read + Send>>>,
    buf: Vec<u8>,
    depth: usize,
    /// Records seen so far, for error messages.
    pub records: u64,
}

impl Walker {
    pub fn new(reader: Box<dyn Read + Send>) -> Walker {
        Walker {
            xml: Reader::from_reader(BufReader::with_capacity(256 * 1024, reader)),
            buf: Vec::new(),
            depth: 0,
            records: 0,
        }
    }

    /// The next element opening or closing; text between records is skipped.
    pub fn step(&mut self) -> Result<Step, ParseError> {
        loop {
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev,
                Err(e) => return Err(error(&self.xml, self.records, e)),
            };
            match ev {
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(error(
                            &self.xml,
                            self.records,
                            "the document ends inside an element",
                        ));
                    }
                    return Ok(Step::Eof);
                }
                Event::Start(e) => {
                    let node = head(&e).map_err(|m| error(&self.xml, self.records, m))?;
                    self.depth += 1;
                    return Ok(Step::Open {
                        node,
                        empty: false,
                        depth: self.depth,
                    });
                }
                Event::Empty(e) => {
                    let node = head(&e).map_err(|m| error(&self.xml, self.records, m))?;
                    return Ok(Step::Open {
                        node,
                        empty: true,
                        depth: self.depth + 1,
                    });
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Step::Close { depth: self.depth });
                }
                _ => {}
            }
        }
    }

    /// Gathers the rest of the element `node` just opened by [`Walker::step`] (not
    /// empty) into it: its
    /// text and children, up to its end tag. `Err` only for a document that is not
    /// XML; an element past [`MAX_RECORD_BYTES`] is read to its end and answered as
    /// `Ok(None)` so the caller rejects that one record.
    pub fn gather(&mut self, mut node: Node) -> Result<Option<Node>, ParseError> {
        let mut stack: Vec<Node> = Vec::new();
        let mut size = 0usize;
        let mut too_big = false;
        loop {
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev,
                Err(e) => return Err(error(&self.xml, self.records, e)),
            };
            match ev {
                Event::Eof => {
                    return Err(error(
                        &self.xml,
                        self.records,
                        "the document ends inside an element",
                    ))
                }
                Event::Start(_) if too_big => stack.push(Node::default()),
                Event::Start(e) => {
                    let child = head(&e).map_err(|m| error(&self.xml, self.records, m))?;
                    size += child.size();
                    stack.push(child);
                }
                Event::Empty(e) if !too_big => {
                    let child = head(&e).map_err(|m| error(&self.xml, self.records, m))?;
                    size += child.size();
                    stack.last_mut().unwrap_or(&mut node).children.push(child);
                }
                Event::Text(t) if !too_big => {
                    let s = t.xml10_content();
                    size += s.len();
                    stack.last_mut().unwrap_or(&mut node).text.push_str(&s);
                }
                Event::CData(t) if !too_big => {
                    let s = t.xml10_content().into_owned();
                    size += s.len();
                    stack.last_mut().unwrap_or(&mut node).text.push_str(&s);
                }
                Event::GeneralRef(r) if !too_big => {
                    let cur = stack.last_mut().unwrap_or(&mut node);
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => cur.text.push(c),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => cur.text.push_str(s),
                            None => {
                                let msg = format!("unknown entity &{};", &*r);
                                return Err(error(&self.xml, self.records, msg));
                            }
                        },
                        Err(e) => return Err(error(&self.xml, self.records, e)),
                    }
                    size += 1;
                }
                Event::End(_) => match stack.pop() {
                    Some(done) => {
                        if !too_big {
                            stack.last_mut().unwrap_or(&mut node).children.push(done);
                        }
                    }
                    None => {
                        // The element's own end tag: the walker is back at its parent.
                        self.depth = self.depth.saturating_sub(1);
                        return Ok((!too_big).then_some(node));
                    }
                },
                _ => {}
            }
            if size > MAX_RECORD_BYTES && !too_big {
                too_big = true;
            }
        }
    }
}

/// An element's name and attributes (values unescaped).
fn head(e: &BytesStart<'_>) -> Result<Node, String> {
    let name = e.local_name().into_inner().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute in <{name}>: {err}"))?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad attribute value in <{name}>: {err}"))?;
        attrs.push((a.key.local_name().into_inner().to_string(), v.into_owned()));
    }
    Ok(Node {
        name,
        attrs,
        ..Node::default()
    })
}

/// The root element's local name and the namespaces its head declares, from the
/// decoded head of a document (prolog, comments and a DOCTYPE skipped).
pub(super) fn sniff_root(head: &str) -> Option<(String, Vec<String>)> {
    let mut xml = Reader::from_str(head);
    loop {
        match xml.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.local_name().into_inner().to_string();
                let ns = e
                    .attributes()
                    .filter_map(Result::ok)
                    .filter(|a| {
                        let k = a.key.into_inner();
                        k == "xmlns" || k.starts_with("xmlns:")
                    })
                    .filter_map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    })
                    .collect();
                return Some((name, ns));
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
