#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! Promotion codes on the pages, as a browser without script uses them: the
//! superuser's `/admin/coupons` (a coupon, a code, switching it off, refusals
//! shown on the page), and a tenant's billing page (the code's preview, then
//! applying it; refusals shown with nothing changed); nobody else reaches them.

use crate::support;

use reqwest::StatusCode;
use tenantry_testkit::Harness;

use support::web::WebSession as Browser;

#[tokio::test]
async fn the_superuser_makes_a_coupon_and_a_code_and_an_owner_applies_it_on_the_billing_page() {
    let h = Harness::new();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let paid = h.paid_tenant("paying", 3).await.unwrap();
    let other = h.paid_tenant("other", 3).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let ops = Browser::login(&base, "", "ops@platform.example.com").await;

    let page = ops.get("/admin/coupons").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No coupon yet."), "{}", page.body);
    let coupon = [
        ("name", "Spring"),
        ("kind", "percent"),
        ("value", "20"),
        ("duration", "repeating"),
        ("months", "3"),
        ("max_redemptions", ""),
        ("redeem_by", ""),
    ];
    let bad = ops
        .post("/admin/coupons", &[("value", "101"), ("kind", "percent"), ("name", "Too much"), ("duration", "forever")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("a percentage lies between"), "{}", bad.body);
    let made = ops.post("/admin/coupons", &coupon).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let list = h.tenantry.promotions(&who).await.unwrap();
    assert_eq!(list.coupons.len(), 1, "only the good coupon was made");
    assert_eq!(list.coupons[0].percent_off_basis_points, Some(2_000));
    let cid = list.coupons[0].id.to_string();
    let code = [("coupon_id", cid.as_str()), ("code", "spring20"), ("expires_on", ""), ("max_redemptions", "")];
    assert_eq!(ops.post("/admin/coupons/codes", &code).await.status, StatusCode::SEE_OTHER);
    let again = ops.post("/admin/coupons/codes", &code).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let shown = ops.get("/admin/coupons").await.body;
    assert!(shown.contains("<code>SPRING20</code>") && shown.contains("20 %") && shown.contains("3 months"), "{shown}");

    let owner = Browser::login(&base, "paying", &paid.owner_email).await;
    assert_eq!(owner.get("/admin/coupons").await.status, StatusCode::NOT_FOUND, "the superuser's page only");
    assert_eq!(owner.post("/admin/coupons", &coupon).await.status, StatusCode::NOT_FOUND);
    let billing = owner.get("/app/paying/settings").await.body;
    assert!(billing.contains("id=\"promotion-code\""), "{billing}");
    let unknown = owner.post("/app/paying/settings/promotion-code/preview", &[("code", "NOPE")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
    assert!(unknown.body.contains("there is no such promotion code"), "{}", unknown.body);
    let preview = owner.post("/app/paying/settings/promotion-code/preview", &[("code", "spring20")]).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("SPRING20: 20 % off"), "{}", preview.body);
    assert!(preview.body.contains("id=\"promo-total\">€39.96"), "{}", preview.body);
    assert!(
        h.tenantry.promotions(&who).await.unwrap().promotion_codes[0].times_redeemed == 0,
        "a preview counts nothing"
    );
    // Another tenant's owner cannot apply it to this tenant.
    let stranger = Browser::login(&base, "other", &other.owner_email).await;
    let forged = stranger.post("/app/paying/settings/promotion-code", &[("code", "SPRING20")]).await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let applied = owner.post("/app/paying/settings/promotion-code", &[("code", "SPRING20")]).await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let after = owner.get("/app/paying/settings?done=promotion").await.body;
    assert!(after.contains("id=\"discount\">SPRING20: 20 % off"), "{after}");
    assert!(after.contains("id=\"price-after\">€39.96"), "{after}");
    assert!(!after.contains("id=\"promotion-code\""), "one code at a time: {after}");
    let twice = owner.post("/app/paying/settings/promotion-code", &[("code", "SPRING20")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);

    let pid = h.tenantry.promotions(&who).await.unwrap().promotion_codes[0].id.to_string();
    let off = ops.post(&format!("/admin/coupons/codes/{pid}/active"), &[("active", "off")]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let inactive = stranger.post("/app/other/settings/promotion-code/preview", &[("code", "SPRING20")]).await;
    assert_eq!(inactive.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", inactive.body);
    assert!(inactive.body.contains("no longer active"), "{}", inactive.body);
    let forged =
        owner.post_raw("/app/paying/settings/promotion-code", &[("csrf", "forged"), ("code", "SPRING20")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a form without the session's token");
    let missing = owner.post_raw("/app/paying/settings/promotion-code", &[("code", "SPRING20")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "a form without its token field");
}
