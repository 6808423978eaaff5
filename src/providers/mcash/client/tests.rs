use super::*;

fn config() -> McashConfig {
    McashConfig {
        base_url: "https://API.mca.sh/merchant/v1".into(),
        merchant_id: "T9oWAQ3FSl6oeITuR2ZGWA".into(),
        user_id: "POS1".into(),
        secret: SecretString::from("very-secret-value".to_string()),
        private_key: None,
        testbed_token: Some(SecretString::from("testbed-token-value".to_string())),
        http: HttpConfig::default(),
    }
}

#[test]
fn debug_of_config_and_client_shows_no_secret() {
    let client = McashClient::new(config(), Arc::new(|| 0)).unwrap();
    for shown in [format!("{:?}", config()), format!("{client:?}")] {
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(!shown.contains("testbed-token-value"), "{shown}");
        assert!(shown.contains("POS1"));
    }
}

#[test]
fn urls_resolve_only_on_the_configured_host() {
    let client = McashClient::new(config(), Arc::new(|| 0)).unwrap();
    assert_eq!(
        client.resolve("pos/").unwrap().as_str(),
        "https://api.mca.sh/merchant/v1/pos/"
    );
    assert_eq!(
        client
            .resolve("/merchant/v1/pos/?cursor=2")
            .unwrap()
            .as_str(),
        "https://api.mca.sh/merchant/v1/pos/?cursor=2"
    );
    assert_eq!(
        client
            .resolve("https://api.mca.sh/merchant/v1/ledger/l/report/r/")
            .unwrap()
            .path(),
        "/merchant/v1/ledger/l/report/r/"
    );
    assert!(
        client
            .resolve("https://evil.test/merchant/v1/pos/")
            .is_err()
    );
    assert!(
        client
            .resolve("http://api.mca.sh/merchant/v1/pos/")
            .is_err()
    );
    assert!(
        McashClient::new(
            McashConfig {
                base_url: "ftp://x/".into(),
                ..config()
            },
            Arc::new(|| 0)
        )
        .is_err()
    );
}

#[test]
fn ids_are_escaped_as_one_segment() {
    assert_eq!(seg("T1-000001"), "T1-000001");
    assert_eq!(seg("a/b c"), "a%2Fb%20c");
    assert_eq!(seg(".."), "..");
}

#[test]
fn error_bodies_become_codes_and_messages() {
    let body = br#"{"error_type":"validation_error","error_description":"Bad","error_details":{"amount":["x"]}}"#;
    assert_eq!(
        parse_error_body(body),
        Some((Some("validation_error".into()), "Bad (amount: x)".into()))
    );
    assert_eq!(parse_error_body(b"{}"), None);
    assert_eq!(parse_error_body(b"<html>"), None);
}

#[test]
fn client_errors_classify() {
    let key = McashError::KeyRequired { what: "refund" };
    assert_eq!(key.classify(true), FailureKind::Rejected);
    assert!(key.to_string().contains("private_key_file"));
    let conflict = McashError::Http(HttpError::Status {
        status: 409,
        code: None,
        message: "conflict".into(),
    });
    assert_eq!(conflict.status(), Some(409));
    assert_eq!(conflict.classify(true), FailureKind::Rejected);
    let lost = McashError::Http(HttpError::Timeout { sent: true });
    assert_eq!(lost.to_failure(true).kind, FailureKind::InDoubt);
    assert_eq!(lost.to_failure(false).kind, FailureKind::Transient);
}
