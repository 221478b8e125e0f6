//! Every price carries its own currency: a pharmacy whose publisher prices in UAH
//! that is sent one line in GBP shows that line in GBP in the facility's stock
//! (API and page) and in availability, and the other line in UAH.

#[macro_use]
mod common;

use common::{spawn_app_with, AppSettings};
use serde_json::Value;

backend_test! {
    async fn every_price_carries_its_own_currency(backend) {
        let app = spawn_app_with(AppSettings::new(backend)).await;
        let snap = app.snapshot();
        let (facility, lat, lon) = snap
            .facilities
            .iter()
            .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
            .find_map(|f| Some((f.id, f.lat?, f.lon?)))
            .expect("a pharmacy with a position");
        let mut groups: Vec<i64> = snap.catalog.products.keys().copied().collect();
        groups.sort_unstable();
        let (gbp, uah) = (groups[3], groups[4]);
        drop(snap);
        // The key's publisher prices in UAH; one line says GBP.
        let key = app.make_key("Two currencies", &[(facility, None)]).await;
        let csv = format!(
            "facility,product_id,quantity,price,currency\n{facility},{gbp},2,11.11,GBP\n{facility},{uah},3,22.22,\n"
        );
        let (code, report) = app.push(&key, "?mode=delta", csv, &[]).await;
        assert_eq!(code, 200, "{report}");

        let (code, d) = app.get_json(&format!("/api/v1/facilities/{facility}")).await;
        assert_eq!(code, 200, "{d}");
        let line = |group: i64| {
            d["stock"]["lines"]
                .as_array()
                .and_then(|a| a.iter().find(|l| l["product"]["id"] == format!("p{group}")))
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(line(gbp)["price_minor"], 1111, "{d:#}");
        assert_eq!(line(gbp)["currency"], "GBP", "{d:#}");
        assert_eq!(line(uah)["price_minor"], 2222, "{d:#}");
        assert_eq!(line(uah)["currency"], "UAH", "{d:#}");
        // Mixed lines: no one currency for the whole summary.
        assert!(d["stock"]["currency"].is_null(), "{d:#}");

        for (group, want) in [(gbp, "GBP"), (uah, "UAH")] {
            let (code, a) = app
                .get_json(&format!(
                    "/api/v1/availability?medication_id=p{group}&lat={lat}&lon={lon}&radius_km=1"
                ))
                .await;
            assert_eq!(code, 200, "{a}");
            let offer = a["items"]
                .as_array()
                .and_then(|v| v.iter().find(|o| o["facility"]["id"] == facility))
                .cloned()
                .unwrap_or(Value::Null);
            assert_eq!(offer["price"]["currency"], want, "{a:#}");
        }

        let (code, page) = app.get_text(&format!("/facilities/{facility}?lang=en")).await;
        assert_eq!(code, 200);
        assert!(page.contains("£11.11"), "the GBP line in pounds");
        assert!(page.contains("22.22\u{a0}UAH"), "the UAH line in hryvnias");
        assert!(!page.contains("11.11\u{a0}UAH"), "never the GBP price as UAH");
    }
}
