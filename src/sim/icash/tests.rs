//! The simulator over HTTP as a client of the real iCash would meet it: OWIN's token endpoint
//! and its errors, ASP.NET's 401/404/405 bodies, case-insensitive routes and parameters, the
//! anonymous network-number call, the statement's form, the payment QR PNG, the customer page
//! and the autopilot.

use std::time::Duration;

use serde_json::{Value, json};

use super::demo;
use crate::providers::icash::{qr, wire};
use crate::sim::{ProviderSim, RunningSim, SimOptions, Simulator};

async fn sim(options: SimOptions) -> (RunningSim, String) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .unwrap();
    let base = sim.base_url("icash").unwrap();
    (sim, base)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

async fn token_answer(base: &str, body: &str, content_type: &str) -> (u16, Value) {
    let r = http()
        .post(format!("{base}Token"))
        .header("Content-Type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn login(base: &str) -> String {
    let body = format!(
        "UserName={}&Password={}&grant_type=password",
        demo::USERNAME,
        "demo-icash-P%40ss"
    );
    let (status, v) = token_answer(base, &body, "application/x-www-form-urlencoded").await;
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_token_endpoint_answers_as_owin_does() {
    let (_sim, base) = sim(SimOptions::default()).await;
    let form = "application/x-www-form-urlencoded";
    // Field names in any case (NOTES).
    let (status, v) = token_answer(
        &base,
        &format!(
            "username={}&PASSWORD=demo-icash-P%40ss&Grant_Type=password",
            demo::USERNAME
        ),
        form,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 1_209_599);
    assert_eq!(v["userName"], demo::USERNAME);
    let issued = wire::parse_rfc1123(v[".issued"].as_str().unwrap()).unwrap();
    let expires = wire::parse_rfc1123(v[".expires"].as_str().unwrap()).unwrap();
    assert_eq!((expires - issued).whole_seconds(), 1_209_599);

    let wrong = format!(
        "UserName={}&Password=nope&grant_type=password",
        demo::USERNAME
    );
    assert_eq!(
        token_answer(&base, &wrong, form).await,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "The user name or password is incorrect."})
        )
    );
    assert_eq!(
        token_answer(&base, "grant_type=client_credentials", form).await,
        (400, json!({"error": "unsupported_grant_type"}))
    );
    assert_eq!(
        token_answer(&base, r#"{"grant_type":"password"}"#, "application/json").await,
        (400, json!({"error": "unsupported_grant_type"}))
    );
}

#[tokio::test]
async fn api_calls_without_a_good_token_get_aspnets_401() {
    let (sim, base) = sim(SimOptions::default()).await;
    let url = format!(
        "{base}api/ICashAccount/GetBalance?iCashCardNumber={}",
        demo::CARD
    );
    let denied = json!({"Message": "Authorization has been denied for this request."});
    for auth in [None, Some("Bearer nonsense")] {
        let mut r = http().get(&url);
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        assert_eq!(r.json::<Value>().await.unwrap(), denied);
    }
    let token = login(&base).await;
    // The scheme in lower case, routes and parameter names in any case.
    let lower = format!(
        "{base}api/icashaccount/getbalance?icashcardnumber={}",
        demo::CARD
    );
    let r = http()
        .get(&lower)
        .header("Authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"CurrentBalance":19}"#);
    // Fourteen days later the token is refused exactly the same way.
    sim.clock().advance(Duration::from_secs(1_209_599));
    let r = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap(), denied);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_the_anonymous_call() {
    let (_sim, base) = sim(SimOptions::default()).await;
    let r = http()
        .get(format!("{base}api/Nothing/Here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["Message"]
            .as_str()
            .unwrap()
            .starts_with("No HTTP resource was found")
    );
    let r = http()
        .get(format!("{base}api/ICashAccount/TransferMoney"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let url = format!(
        "{base}api/ICashAccount/GetiCashCardNetworkNumber?iCashCardNumber={}",
        demo::CARD
    );
    let token = login(&base).await;
    for auth in [None, Some(token)] {
        let mut r = http().get(&url);
        if let Some(t) = auth {
            r = r.bearer_auth(t);
        }
        let v: Value = r.send().await.unwrap().json().await.unwrap();
        assert_eq!(v, json!({"PackageNumber": 712}));
    }
}

#[tokio::test]
async fn statements_payment_qrs_and_string_typed_parameters() {
    let (sim, base) = sim(SimOptions::default()).await;
    let token = login(&base).await;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(wire::LIBYA)
        .date();
    let day = wire::statement_day(today);
    let r = http()
        .get(format!("{base}api/ICashAccount/GetStatement"))
        .query(&[
            ("iCashCardNumber", demo::CARD),
            ("From", &day),
            ("To", &day),
            ("NumberOfRecords", "2"),
        ])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(
        text.contains("شحن رصيد ببطاقة تعبئة"),
        "Arabic as UTF-8: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let rows = v["Statement"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "NumberOfRecords as a string");
    for row in rows {
        let at = row["transeDate"].as_str().unwrap();
        assert!(wire::parse_statement_date(at).is_ok(), "{at}");
        assert!(at.ends_with(" AM") || at.ends_with(" PM"), "{at}");
    }
    assert_eq!(rows[0]["closing"], v["CurrentBalance"]);
    assert_eq!(rows[0]["opning"], rows[1]["closing"]);

    let qr_at = |amount: &'static str| {
        http()
            .get(format!("{base}api/Merchant/GeneratePaymentQR"))
            .query(&[("Amount", amount), ("ShopID", "10")])
            .bearer_auth(&token)
            .send()
    };
    let r = qr_at("12.345").await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    let payload = qr::payload(&png).unwrap();
    assert_eq!(payload, format!("ICASH|{}|10|12.345", demo::CARD));
    let same = qr::payload(&qr_at("12.345").await.unwrap().bytes().await.unwrap()).unwrap();
    assert_eq!(
        same, payload,
        "the same amount at the same shop: the same QR"
    );
    assert_eq!(sim.icash().counters()["qr_invoices_created"], 1);
    qr_at("1").await.unwrap();
    assert_eq!(sim.icash().counters()["qr_invoices_created"], 2);

    // CanCustomerPurchase with the boolean as a form string.
    let r = http()
        .post(format!(
            "{base}api/Merchant/CanCustomerPurchase?iCashCardNumber={}",
            demo::CARD
        ))
        .bearer_auth(&token)
        .form(&[
            ("CustomeriCashCardNumber", demo::CUSTOMER_CARD),
            ("Amount", "120"),
            ("GenerateInvoiceQR", "False"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!(true));
}

#[tokio::test]
async fn the_customer_page_makes_codes_and_pays_qrs() {
    let (sim, base) = sim(SimOptions::default()).await;
    let page = format!("{base}customer/");
    let html = http()
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(demo::CUSTOMER_CODE) && html.contains("no-qr"),
        "{html}"
    );
    let r = http()
        .post(format!("{base}customer/code"))
        .form(&[
            ("card", demo::CUSTOMER_CARD),
            ("shop", "10"),
            ("amount", "7.5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let shown = http()
        .get(format!("{}{location}", sim.root_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("Payment code "), "{shown}");

    let token = login(&base).await;
    http()
        .get(format!(
            "{base}api/Merchant/GeneratePaymentQR?Amount=3&ShopID=1"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let open = sim.icash().open_requests();
    assert_eq!(open.len(), 1);
    let html = http()
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&open[0].id), "{html}");
    let r = http()
        .post(format!("{base}customer/pay"))
        .form(&[("payload", open[0].id.as_str()), ("card", "1000100550")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(sim.icash().balance("1000100550"), Some(251_000 - 3_000));
    assert!(sim.icash().open_requests().is_empty());
}

#[tokio::test]
async fn the_autopilot_pays_qr_sales() {
    let (sim, base) = sim(SimOptions {
        autopilot: Some(Duration::from_millis(100)),
        ..SimOptions::default()
    })
    .await;
    let token = login(&base).await;
    http()
        .get(format!(
            "{base}api/Merchant/GeneratePaymentQR?Amount=2.5&ShopID=10"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    for _ in 0..40 {
        if sim.icash().counters()["qr_payments"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sim.icash().counters()["qr_payments"], 1);
    assert_eq!(
        sim.icash().balance(demo::CUSTOMER_CARD),
        Some(5_000_000 - 2_500)
    );
}
