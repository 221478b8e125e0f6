//! One stock line: its public view ([`StockLine`], [`StockStatus`]) and the
//! 14-byte [`Packed`] form the postings store.
//!
//! Apart from the postings because the format is the memory budget: at ten
//! million lines every byte of a line is 10 MB, so the bit layout and the limits
//! it imposes ([`MAX_QUANTITY`], [`MAX_PRICE_MINOR`], 24-bit facilities) sit
//! together, and the rest of the index reads a packed line only through its
//! accessors and [`Packed::unpack`].

use crate::places::MAX_FACILITY;

/// What a pharmacy says about a product.
#[repr(u8)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    /// In stock, normal level.
    InStock = 0,
    /// In stock, few left.
    Low = 1,
    /// Listed but out of stock: hidden from availability unless asked for.
    Out = 2,
    /// Listed without a level (a price list, say).
    Unknown = 3,
}

impl StockStatus {
    /// The code stored and sent (`stock.status`, feeds' `status` column).
    pub fn as_str(self) -> &'static str {
        match self {
            StockStatus::InStock => "in_stock",
            StockStatus::Low => "low",
            StockStatus::Out => "out",
            StockStatus::Unknown => "unknown",
        }
    }

    /// A stored code, or `None`.
    pub fn parse(s: &str) -> Option<StockStatus> {
        Some(match s {
            "in_stock" => StockStatus::InStock,
            "low" => StockStatus::Low,
            "out" => StockStatus::Out,
            "unknown" => StockStatus::Unknown,
            _ => return None,
        })
    }

    fn from_bits(b: u32) -> StockStatus {
        match b & 3 {
            0 => StockStatus::InStock,
            1 => StockStatus::Low,
            2 => StockStatus::Out,
            _ => StockStatus::Unknown,
        }
    }
}

/// Largest quantity stored exactly; larger ones are stored as this value (a
/// pharmacy does not hold four million packs of one product; the cap keeps a
/// line at 14 bytes).
pub const MAX_QUANTITY: u32 = (1 << 22) - 2;
const QTY_NONE: u32 = (1 << 22) - 1;
/// Largest price in minor units; `u32::MAX` encodes "no price".
pub const MAX_PRICE_MINOR: u32 = u32::MAX - 1;

/// One stock line, unpacked: the public view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StockLine {
    /// Dense facility index (< [`MAX_FACILITY`]).
    pub facility: u32,
    /// Level as reported.
    pub status: StockStatus,
    /// Whole units (packs) on hand, if reported; saturates at [`MAX_QUANTITY`].
    pub quantity: Option<u32>,
    /// Price in minor currency units (kopiyky, pence, cents), if reported.
    pub price_minor: Option<u32>,
    /// When the pharmacy last confirmed the line, unix seconds (stored as u32
    /// seconds: clamped to 1970..2106).
    pub checked_at: i64,
}

/// The packed line: 14 bytes, 2-byte aligned.
///
/// `fac_meta` = facility (bits 0..24) | status (24..26) | quantity bits 16..22
/// (26..32); `qty_lo` = quantity bits 0..16. A 22-bit quantity of all ones is
/// "not reported"; a price of `u32::MAX` likewise. Why 24-bit facilities: the
/// app's facility indices are dense, and 16.7M facilities is far beyond any
/// country; the saved byte per line is what puts a line under 16 bytes with
/// room for the per-product and per-facility overheads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(2))]
pub struct Packed {
    fac_meta: u32,
    price: u32,
    checked: u32,
    qty_lo: u16,
}

impl Packed {
    /// Packs a line; `None` when the facility does not fit in 24 bits.
    pub fn pack(l: &StockLine) -> Option<Packed> {
        if l.facility >= MAX_FACILITY {
            return None;
        }
        let q = l.quantity.map_or(QTY_NONE, |q| q.min(MAX_QUANTITY));
        let fac_meta = l.facility | ((l.status as u32) << 24) | ((q >> 16) << 26);
        Some(Packed {
            fac_meta,
            price: l.price_minor.map_or(u32::MAX, |p| p.min(MAX_PRICE_MINOR)),
            checked: l.checked_at.clamp(0, i64::from(u32::MAX)) as u32,
            qty_lo: (q & 0xffff) as u16,
        })
    }

    #[inline]
    pub(super) fn facility(&self) -> u32 {
        let m = self.fac_meta;
        m & 0x00ff_ffff
    }

    #[inline]
    pub(super) fn status(&self) -> StockStatus {
        let m = self.fac_meta;
        StockStatus::from_bits(m >> 24)
    }

    #[inline]
    pub(super) fn checked(&self) -> i64 {
        let c = self.checked;
        i64::from(c)
    }

    #[inline]
    pub(super) fn price(&self) -> Option<u32> {
        let p = self.price;
        (p != u32::MAX).then_some(p)
    }

    /// Back to the public view.
    pub fn unpack(&self) -> StockLine {
        let m = self.fac_meta;
        let lo = self.qty_lo;
        let q = ((m >> 26) << 16) | u32::from(lo);
        StockLine {
            facility: self.facility(),
            status: self.status(),
            quantity: (q != QTY_NONE).then_some(q),
            price_minor: self.price(),
            checked_at: self.checked(),
        }
    }
}
