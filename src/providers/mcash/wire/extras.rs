//! Permission requests, the status-code list, shortlinks and callbacks (the last two from NOTES.md).

use super::*;

// Permission request

/// `POST /permission_request/` (SECRET): 201 new, 200 identical (idempotent on pos_id+pos_tid).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermissionRequestCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    pub customer: String,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    /// Space-delimited scopes: openid, address, profile, phone, email, ...
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u32>,
}

/// `GET /permission_request/<rid>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermissionRequest {
    #[serde(default)]
    pub ledger: Option<String>,
    pub customer: String,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub callback_uri: Option<String>,
    pub scope: String,
    #[serde(default)]
    pub date_expires: Option<String>,
}

/// `GET /permission_request/<rid>/outcome/` (SECRET). Tokens are secrets: hidden from Debug.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PermissionOutcome {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub access_token: Option<SecretString>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub id_token: Option<SecretString>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub transaction_fee: Option<WireMoney>,
    #[serde(default)]
    pub report_id: Option<String>,
    #[serde(default)]
    pub report_uri: Option<String>,
    #[serde(default)]
    pub ledger_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_code: Option<StatusCode>,
    pub pos_id: String,
    pub pos_tid: String,
    pub rid: String,
    #[serde(default)]
    pub user_info: Option<Value>,
}

impl PermissionOutcome {
    pub fn transaction_fee(&self) -> Result<Option<Money>, WireError> {
        match self.currency {
            Some(c) => money_field("transaction_fee", &self.transaction_fee, c),
            None => Ok(None),
        }
    }
}

// Status codes

/// `GET /status_code/` (a JSON array of these) and `GET /status_code/<value>/` (OPEN).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCodeInfo {
    #[serde(default, deserialize_with = "string_or_number")]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

// Shortlinks (NOTES.md; not in the document)

/// `POST /shortlink/` (201 `{"id"}`) and `PUT /shortlink/<id>/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortlinkCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /shortlink/<id>/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortlink {
    pub id: String,
    #[serde(default)]
    pub callback_uri: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The text a QR code carries: `http://mca.sh/s/<shortlink_id>/<argstring>`.
pub fn shortlink_qr(shortlink_id: &str, argstring: Option<&str>) -> String {
    match argstring {
        Some(arg) => format!("http://mca.sh/s/{shortlink_id}/{arg}"),
        None => format!("http://mca.sh/s/{shortlink_id}/"),
    }
}

// Callbacks (NOTES.md)

/// What mCASH POSTs to a `callback_uri`; `object` is left out over plain HTTP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub meta: CallbackMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallbackMeta {
    pub id: String,
    /// `payment_authorized`, `payment_captured`, `shortlink_scanned`, ...
    pub event: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// The `object` of a `shortlink_scanned` callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortlinkScan {
    /// `token:...`, usable as a payment request's `customer`.
    pub id: String,
    #[serde(default)]
    pub argstring: Option<String>,
}
