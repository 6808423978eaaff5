//! The iCG simulator over loopback HTTP, as any client would see it: the grant, the lookup, the
//! pay with its documented answer and its 400s, the customer page and the control commands.

use std::time::Duration;

use serde_json::{Value, json};

use super::{CONTENT_TYPE, DENIED};
use crate::providers::icg::config::demo;
use crate::sim::{ProviderSim, SimOptions, Simulator};

struct T {
    sim: crate::sim::RunningSim,
    http: reqwest::Client,
}

impl T {
    async fn start() -> T {
        let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
            .await
            .unwrap();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        T { sim, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/icg/{path}", self.sim.root_url())
    }

    async fn login(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("auth/Login"))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    async fn token(&self) -> String {
        let (status, v) = self
            .login(&[
                ("grant_type", "password"),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("client_id", demo::CLIENT_ID),
            ])
            .await;
        assert_eq!(status, 200, "{v}");
        v["access_token"].as_str().unwrap().to_string()
    }

    async fn invoice(&self, number: &str, auth: Option<&str>) -> (u16, Value) {
        let (status, text) = self.invoice_text(number, auth).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    /// The answer's text: amounts are checked as written, not through an `f64`.
    async fn invoice_text(&self, number: &str, auth: Option<&str>) -> (u16, String) {
        let mut r = self
            .http
            .get(self.url(&format!("process/Invoices/{number}")));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    async fn pay(&self, number: &str, body: Value) -> (u16, String, Value) {
        let r = self
            .http
            .post(self.url(&format!("process/Invoices/{number}/Pay")))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, r.json().await.unwrap())
    }
}

#[tokio::test]
async fn the_password_grant_gives_the_documented_answer_and_refuses_others() {
    let t = T::start().await;
    let r = t
        .http
        .post(t.url("auth/Login"))
        .form(&[
            ("grant_type", "password"),
            ("username", &demo::USERNAME.to_uppercase()),
            ("password", demo::PASSWORD),
            ("client_id", demo::CLIENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], CONTENT_TYPE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 86_399);
    assert!(v["access_token"].as_str().unwrap().len() >= 32);

    let (status, v) = t
        .login(&[
            ("grant_type", "password"),
            ("username", demo::USERNAME),
            ("password", "wrong"),
            ("client_id", demo::CLIENT_ID),
        ])
        .await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(
        v["error_description"],
        "The user name or password is incorrect."
    );
    let (status, v) = t
        .login(&[
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
        ])
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, v) = t
        .login(&[
            ("grant_type", "password"),
            ("username", demo::USERNAME),
            ("password", demo::PASSWORD),
            ("client_id", "other"),
        ])
        .await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_client")));
    let c = t.sim.icg().counters();
    assert_eq!(c["token_requests"], 4);
    assert_eq!(c["tokens_issued"], 1);
    assert_eq!(c["unauthorized"], 2);
}

#[tokio::test]
async fn the_lookup_needs_a_live_token() {
    let t = T::start().await;
    let (status, v) = t.invoice("1001", None).await;
    assert_eq!((status, v["Message"].as_str()), (401, Some(DENIED)));
    let (status, _) = t.invoice("1001", Some("Bearer not-a-token")).await;
    assert_eq!(status, 401);

    let token = t.token().await;
    // `bearer` from `token_type`, lower-case, is accepted (NOTES).
    let (status, v) = t.invoice("1002", Some(&format!("bearer {token}"))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Status"], "Partially Paid");
    assert_eq!(v["Amount"], json!(250.00));
    assert_eq!(v["Transactions"].as_array().unwrap().len(), 1);
    let (_, text) = t
        .invoice_text("1002", Some(&format!("Bearer {token}")))
        .await;
    assert!(text.contains(r#""AmountDue":150.00"#), "{text}");
    assert!(text.contains(r#""AmountPaid":100.00"#), "{text}");
    let (status, v) = t.invoice("777", Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 404, "{v}");
    assert!(v["Message"].as_str().unwrap().contains("777"));

    // Expired under the sim clock, and revoked.
    t.sim.clock().advance(Duration::from_secs(86_400));
    let (status, _) = t.invoice("1001", Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 401);
    let token = t.token().await;
    t.sim.icg().revoke_credentials(true);
    let (status, _) = t.invoice("1001", Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 401);
    assert_eq!(t.sim.icg().counters()["unauthorized"], 4);
}

#[tokio::test]
async fn pay_answers_the_process_response_and_changes_the_invoice() {
    let t = T::start().await;
    // Anonymous: no Authorization header at all. Field names bind without case.
    let (status, ct, v) = t
        .pay(
            "1001",
            json!({"amount": 31.88, "type": "V", "Description": "T1-000001", "Laneid": "T1"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(ct, CONTENT_TYPE);
    for field in [
        "TransactionId",
        "Status",
        "StatusMessage",
        "ConfirmationCode",
        "ApprovalCode",
        "ReferenceNumber",
        "TransactionAmount",
        "TransactionDate",
        "CardDisplay",
        "CardType",
        "ErrorData",
        "ExtraData",
        "RawRequest",
        "RawResponse",
        "CvcResponse",
        "AvsResponse",
        "Arpc",
        "IssuerScript",
        "IssuerScript2",
        "ApplicationId",
    ] {
        assert!(v.get(field).is_some(), "the answer lacks {field}: {v}");
    }
    assert_eq!(v["Status"], "Approved");
    assert_eq!(v["TransactionAmount"], json!(31.88));
    assert!(v["ConfirmationCode"].as_str().unwrap().starts_with('C'));

    let token = t.token().await;
    let (_, inv) = t.invoice("1001", Some(&format!("Bearer {token}"))).await;
    assert_eq!(inv["Status"], "Partially Paid");
    let (_, text) = t
        .invoice_text("1001", Some(&format!("Bearer {token}")))
        .await;
    assert!(text.contains(r#""AmountDue":100.00"#), "{text}");
    assert!(text.contains(r#""TransactionAmount":31.88"#), "{text}");
    assert_eq!(inv["Transactions"][0]["Description"], "T1-000001");
    assert_eq!(inv["Transactions"][0]["Laneid"], "T1");

    // A string amount pays the rest exactly; a bearer token, even a bad one, does not matter
    // to an anonymous endpoint.
    let r = t
        .http
        .post(t.url("process/Invoices/1001/Pay"))
        .header("Authorization", "Bearer expired-or-unknown")
        .json(&json!({"Amount": "100.00", "Type": "V"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!((status, v["Status"].as_str()), (200, Some("Approved")));
    let (_, text) = t
        .invoice_text("1001", Some(&format!("Bearer {token}")))
        .await;
    assert!(text.contains(r#""Status":"Paid""#), "{text}");
    assert!(text.contains(r#""AmountDue":0.00"#), "{text}");
    let c = t.sim.icg().counters();
    assert_eq!(
        (c["pay_posts"].as_u64(), c["approved"].as_u64()),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn pay_refuses_with_400_and_declines_with_a_status_message() {
    let t = T::start().await;
    let cases = [
        ("1001", json!({"Type": "V"}), "Amount field is required"),
        ("1001", json!({"Amount": 1}), "Type field is required"),
        ("1001", json!({"Amount": 1, "Type": "D"}), "Type D"),
        ("1001", json!({"Amount": 1.005, "Type": "V"}), "not valid"),
        (
            "1001",
            json!({"Amount": 0, "Type": "V"}),
            "greater than zero",
        ),
        (
            "1001",
            json!({"Amount": 131.89, "Type": "V"}),
            "exceeds the amount due",
        ),
        ("1003", json!({"Amount": 1, "Type": "V"}), "already paid"),
        ("4242", json!({"Amount": 1, "Type": "V"}), "was not found"),
    ];
    for (number, body, says) in cases {
        let (status, _, v) = t.pay(number, body.clone()).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(v["Status"], "Error", "{v}");
        let message = v["StatusMessage"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    let r = t
        .http
        .post(t.url("process/Invoices/1001/Pay"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let (status, _, v) = t.pay("1004", json!({"Amount": 40.00, "Type": "V"})).await;
    assert_eq!(status, 200);
    assert_eq!(v["Status"], "Declined");
    assert_eq!(v["StatusMessage"], "Declined: insufficient funds");
    assert!(v["ConfirmationCode"].is_null());
    let c = t.sim.icg().counters();
    assert_eq!(c["payments"], 1);
    assert_eq!(c["declined"], 1);
    assert_eq!(c["pay_posts"], 10);
}

#[tokio::test]
async fn the_customer_page_lists_invoices_and_makes_new_ones() {
    let t = T::start().await;
    let root = t.sim.root_url().to_string();
    let page = t
        .http
        .get(&root)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("icg-invoice-1001"), "{page}");
    assert!(page.contains("Partially Paid"));
    assert!(page.contains("declines: Declined: insufficient funds"));
    let r = t
        .http
        .post(format!("{root}/page/icg/form/invoice"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("amount=12.50&description=Lunch+%26+tea&decline=")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "POST-redirect-GET");
    let page = t
        .http
        .get(&root)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("icg-invoice-2001"), "{page}");
    assert!(page.contains("Lunch &amp; tea"));
    let inv = t.sim.icg().invoice_text("2001").unwrap();
    assert!(inv.contains(r#""Amount":12.50"#), "{inv}");
    assert!(inv.contains(r#""Status":"Open""#), "{inv}");
    let r = t
        .http
        .post(format!("{root}/page/icg/form/invoice"))
        .body("amount=lots")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn control_commands() {
    let t = T::start().await;
    let icg = t.sim.icg();

    let made = icg
        .control(
            "invoice",
            json!({"number": "55", "amount": "10", "decline": "No"}),
        )
        .unwrap();
    assert_eq!(made["number"], "55");
    assert!(
        icg.control("invoice", json!({"number": "55", "amount": "1"}))
            .is_err()
    );
    assert!(icg.control("invoice", json!({"amount": "-1"})).is_err());
    let (_, _, v) = t
        .pay("55", json!({"Amount": 10, "Type": "V", "Description": "k"}))
        .await;
    assert_eq!(v["StatusMessage"], "No");
    icg.control("decline", json!({"number": "55", "message": null}))
        .unwrap();
    let (_, _, v) = t
        .pay(
            "55",
            json!({"Amount": 10, "Type": "V", "Description": "k2"}),
        )
        .await;
    assert_eq!(v["Status"], "Approved");
    let p = icg.control("payment", json!({"id": "55:k2"})).unwrap();
    assert_eq!(
        p,
        json!({"id": "55:k2", "amount": "10.00", "currency": "USD", "status": "Approved"})
    );
    assert!(icg.control("payment", json!({"id": "55:zz"})).is_err());
    icg.control("token_seconds", json!({"seconds": 5})).unwrap();
    let (_, v) = t
        .login(&[
            ("grant_type", "password"),
            ("username", demo::USERNAME),
            ("password", demo::PASSWORD),
            ("client_id", demo::CLIENT_ID),
        ])
        .await;
    assert_eq!(v["expires_in"], 5);
    assert!(icg.control("nope", Value::Null).is_err());
}

#[tokio::test]
async fn a_published_clients_full_process_request_is_served_unchanged() {
    // NOTES (second look): clients also send CashBackAmount, DeviceSerialNumber, Metadata,
    // Customer and Method objects, Invoices and IMetadata; none of them stops a pay.
    let t = T::start().await;
    let body = json!({
        "Amount": 131.88, "Type": "V", "Laneid": "3", "CashBackAmount": 0.0,
        "DeviceSerialNumber": "SN-1", "Description": "order 77", "Metadata": {"k": "v"},
        "Customer": {"FirstName": "A", "LastName": "B"}, "Method": {"Token": "x"},
        "Invoices": [{"Id": "1001"}], "IMetadata": [{"Key": "a", "Value": "b"}]
    });
    let (status, _, v) = t.pay("1001", body).await;
    assert_eq!(
        (status, v["Status"].as_str()),
        (200, Some("Approved")),
        "{v}"
    );
}
