use super::*;
use serde_json::json;

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK)
}

#[test]
fn money_strings_are_exact_and_lenient_only_where_safe() {
    assert_eq!(WireMoney::from_money(nok(1250)).as_str(), "12.50");
    assert_eq!(
        serde_json::to_string(&WireMoney::from(nok(5))).unwrap(),
        "\"0.05\""
    );
    let read = |s: &str| serde_json::from_str::<WireMoney>(s);
    assert_eq!(
        read("\"12.50\"").unwrap().to_money(Currency::NOK),
        Ok(nok(1250))
    );
    assert_eq!(
        read("\"12.5\"").unwrap().to_money(Currency::NOK),
        Ok(nok(1250))
    );
    assert_eq!(
        read("\"12\"").unwrap().to_money(Currency::NOK),
        Ok(nok(1200))
    );
    assert_eq!(read("12").unwrap().to_money(Currency::NOK), Ok(nok(1200)));
    assert!(matches!(
        read("\"12.505\"").unwrap().to_money(Currency::NOK),
        Err(MoneyError::TooManyDecimals { .. })
    ));
    // Three decimals are right for LYD.
    assert_eq!(
        read("\"12.505\"").unwrap().to_money(Currency::LYD),
        Ok(Money::from_minor(12505, Currency::LYD))
    );
    for bad in [
        "12.5",
        "\"-1.00\"",
        "\"1e3\"",
        "\"12.\"",
        "\".5\"",
        "\"\"",
        "\"1,5\"",
        "null",
    ] {
        assert!(read(bad).is_err(), "{bad} must be refused");
    }
}

#[test]
fn payment_request_round_trips_and_reads_its_amount() {
    let mut req = PaymentRequestCreate::new(
        nok(1250),
        "pos-1",
        "T1-000001",
        Some("shortlink_id:h3lBe".into()),
        PaymentAction::Sale,
    );
    req.max_scan_age = Some(60);
    req.expires_in = Some(300);
    let text = serde_json::to_string(&req).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["amount"], json!("12.50"));
    assert_eq!(v["currency"], json!("NOK"));
    assert_eq!(v["action"], json!("sale"));
    assert_eq!(v["allow_credit"], json!(false));
    assert!(
        v.get("ledger").is_none(),
        "None fields are left out: {text}"
    );
    let back: PaymentRequestCreate = serde_json::from_str(&text).unwrap();
    assert_eq!(back, req);
    assert_eq!(back.amount(), Ok(nok(1250)));
    // Upper-case actions as the server allows them.
    let upper = text.replace("\"sale\"", "\"SALE\"");
    assert_eq!(
        serde_json::from_str::<PaymentRequestCreate>(&upper)
            .unwrap()
            .action,
        PaymentAction::Sale
    );
    // Too many decimals in a request is caught by the amount helper.
    let bad = text.replace("12.50", "12.505");
    let bad: PaymentRequestCreate = serde_json::from_str(&bad).unwrap();
    assert!(matches!(
        bad.amount(),
        Err(WireError::Money {
            field: "amount",
            ..
        })
    ));
}

#[test]
fn updates_carry_ids_and_amounts() {
    let cap = PaymentRequestUpdate::capture("T1-000001", nok(1000));
    let v = serde_json::to_value(&cap).unwrap();
    assert_eq!(
        v,
        json!({"action": "capture", "amount": "10.00", "additional_amount": "0.00",
               "capture_id": "T1-000001", "currency": "NOK"})
    );
    assert_eq!(cap.amount(), Ok(Some(nok(1000))));
    let abort = serde_json::to_value(PaymentRequestUpdate::action(UpdateAction::Abort)).unwrap();
    assert_eq!(abort, json!({"action": "abort"}));
    let refund = PaymentRequestUpdate::refund("R-1", nok(500), None);
    assert_eq!(
        serde_json::to_value(&refund).unwrap()["refund_id"],
        json!("R-1")
    );
    let parsed: PaymentRequestUpdate =
        serde_json::from_value(json!({"action": "REFUND", "amount": "5"})).unwrap();
    assert_eq!(parsed.action, Some(UpdateAction::Refund));
    assert!(parsed.amount().is_err(), "an amount needs its currency");
}

#[test]
fn outcome_parses_ignoring_unknown_fields() {
    let v = json!({
        "currency": "NOK", "amount": "12.5", "additional_amount": "0.00",
        "auth_amount": null, "status": "ok", "status_code": 2000,
        "pos_id": "pos-1", "pos_tid": "T1-000001", "tid": "abc",
        "captures": [{"amount": "12.50"}], "brand_new_field": {"x": 1}
    });
    let o: Outcome = serde_json::from_value(v).unwrap();
    assert_eq!(o.status_code, Some(StatusCode::Ok));
    assert_eq!(o.amount(), Ok(Some(nok(1250))));
    assert_eq!(o.auth_amount(), Ok(None));
    let back = serde_json::to_value(&o).unwrap();
    assert_eq!(back["status_code"], json!(2000));
    assert_eq!(back["amount"], json!("12.5"));
    // A quoted code is read as well.
    let o: Outcome = serde_json::from_value(json!({
        "currency": "NOK", "status_code": "3008",
        "pos_id": "p", "pos_tid": "t", "tid": "x"
    }))
    .unwrap();
    assert_eq!(o.status_code, Some(StatusCode::Auth));
}

#[test]
fn status_codes_classify_by_first_digit() {
    let class = |c: u32| StatusCode::from_code(c).class();
    assert_eq!(StatusCode::from_code(1003), StatusCode::Pending);
    assert_eq!(StatusCode::from_code(5012), StatusCode::AuthExpired);
    assert_eq!(StatusCode::from_code(4019).to_string(), "4019 ABORTED");
    assert_eq!(class(1003), StatusClass::Pending);
    assert_eq!(class(1999), StatusClass::Pending);
    assert_eq!(class(2001), StatusClass::Success);
    assert_eq!(class(3008), StatusClass::Authorized);
    assert_eq!(class(3100), StatusClass::Authorized);
    assert_eq!(class(4321), StatusClass::Failure);
    assert_eq!(class(5999), StatusClass::Failure);
    assert_eq!(class(6000), StatusClass::Unclassified);
    assert_eq!(class(42), StatusClass::Unclassified);
    assert_eq!(StatusCode::from_code(2042), StatusCode::Unknown(2042));
    assert!(StatusCode::from_code(2042).is_final());
    assert!(!StatusCode::from_code(3999).is_final());
    let parsed: StatusCode = serde_json::from_str("7001").unwrap();
    assert_eq!(parsed, StatusCode::Unknown(7001));
    assert_eq!(serde_json::to_string(&parsed).unwrap(), "7001");
    assert!(serde_json::from_str::<StatusCode>("-1").is_err());
    assert!(serde_json::from_str::<StatusCode>("\"ok\"").is_err());
}

#[test]
fn error_bodies_parse_and_summarize() {
    let e: ErrorBody = serde_json::from_value(json!({
        "error_type": "validation_error",
        "error_description": "Invalid input",
        "error_details": {"amount": ["Not a valid amount", "Too many decimals"]}
    }))
    .unwrap();
    assert_eq!(e.error_type.as_deref(), Some("validation_error"));
    assert_eq!(
        e.summary(),
        "Invalid input (amount: Not a valid amount; Too many decimals)"
    );
    let bare: ErrorBody = serde_json::from_value(json!({"error_type": "conflict"})).unwrap();
    assert_eq!(bare.summary(), "conflict");
    let empty: ErrorBody = serde_json::from_value(json!({})).unwrap();
    assert_eq!(empty.summary(), "error without description");
}

#[test]
fn other_endpoints_round_trip() {
    let list: ResourceList = serde_json::from_value(json!({
        "uris": ["/merchant/v1/pos/a/"], "next": "/merchant/v1/pos/?cursor=2", "prev": null
    }))
    .unwrap();
    assert_eq!(list.uris.len(), 1);
    assert_eq!(list.next.as_deref(), Some("/merchant/v1/pos/?cursor=2"));

    let pos = PosCreate {
        id: "pos-1".into(),
        name: "Till 1".into(),
        pos_type: PosType::Store,
        location: None,
    };
    assert_eq!(
        serde_json::to_value(&pos).unwrap(),
        json!({"id": "pos-1", "name": "Till 1", "type": "store"})
    );
    let got: Pos =
        serde_json::from_value(json!({"id": "pos-1", "name": "Till 1", "type": "vending"}))
            .unwrap();
    assert_eq!(got.pos_type, PosType::Vending);

    let ledger: Ledger = serde_json::from_value(json!({
        "id": "l1", "currency": "NOK",
        "open_report_uri": "https://api.mca.sh/merchant/v1/ledger/l1/report/r1/"
    }))
    .unwrap();
    assert!(ledger.open_report_uri.unwrap().ends_with("/r1/"));
    let report: Report =
        serde_json::from_value(json!({"status": "closing", "payment_capture_count": 3})).unwrap();
    assert_eq!(report.status, Some(ReportStatus::Closing));
    assert_eq!(report.payment_capture_count, Some(3));

    let codes: Vec<StatusCodeInfo> = serde_json::from_value(json!([
        {"code": "2000", "name": "OK"}, {"code": 1003, "name": "PENDING"}
    ]))
    .unwrap();
    assert_eq!(codes[1].code.as_deref(), Some("1003"));

    let settlement: Settlement = serde_json::from_value(json!({
        "id": "s1", "date_created": "2024-01-01 00:00:00",
        "transaction_log_uris": [], "scope_log_uris": []
    }))
    .unwrap();
    assert_eq!(settlement.id, "s1");

    let cb: Callback = serde_json::from_value(json!({
        "meta": {"id": "m1", "event": "shortlink_scanned", "uri": null},
        "object": {"id": "token:abc", "argstring": "pos-1"}
    }))
    .unwrap();
    let scan: ShortlinkScan = serde_json::from_value(cb.object.unwrap()).unwrap();
    assert_eq!(scan.argstring.as_deref(), Some("pos-1"));
    assert_eq!(
        shortlink_qr("h3lBe", Some("pos-1")),
        "http://mca.sh/s/h3lBe/pos-1"
    );
}

#[test]
fn secrets_on_the_wire_are_sent_but_never_debug_printed() {
    let user = UserCreate {
        id: "pos1".into(),
        secret: Some(SecretString::from("s3cr3t-value".to_string())),
        ..UserCreate::default()
    };
    assert_eq!(
        serde_json::to_value(&user).unwrap()["secret"],
        json!("s3cr3t-value")
    );
    assert!(!format!("{user:?}").contains("s3cr3t-value"));
    let outcome: PermissionOutcome = serde_json::from_value(json!({
        "access_token": "tok-123456", "token_type": "Bearer",
        "pos_id": "p", "pos_tid": "t", "rid": "r"
    }))
    .unwrap();
    assert!(!format!("{outcome:?}").contains("tok-123456"));
}
