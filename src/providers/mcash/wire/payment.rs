//! Payment requests: create, update (capture, refund, abort), the outcome and its status codes.

use super::*;

// Payment request

/// `action` on create: sale, or auth (capture later). mCASH also accepts upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentAction {
    #[serde(alias = "SALE")]
    Sale,
    #[serde(alias = "AUTH")]
    Auth,
}

/// `action` on update (case-insensitive on the server; we send lower case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateAction {
    #[serde(alias = "REAUTH")]
    Reauth,
    #[serde(alias = "CAPTURE")]
    Capture,
    #[serde(alias = "ABORT")]
    Abort,
    #[serde(alias = "RELEASE")]
    Release,
    #[serde(alias = "REFUND")]
    Refund,
}

/// `POST /payment_request/` (SECRET): 201 new, 200 identical, 409 same key with another body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequestCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_message_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<Value>>,
    /// msisdn, scan token, `shortlink_id:<id>`, `shortlink_sn:<serial>`, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scan_age: Option<u32>,
    pub currency: Currency,
    pub amount: WireMoney,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_amount: Option<WireMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_edit: Option<bool>,
    pub allow_credit: bool,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_return_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_return_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Value>>,
    pub action: PaymentAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_scope_text: Option<String>,
}

impl PaymentRequestCreate {
    /// The smallest valid request: everything optional left out.
    pub fn new(
        amount: Money,
        pos_id: &str,
        pos_tid: &str,
        customer: Option<String>,
        action: PaymentAction,
    ) -> PaymentRequestCreate {
        PaymentRequestCreate {
            ledger: None,
            display_message_uri: None,
            callback_uri: None,
            line_items: None,
            customer,
            max_scan_age: None,
            currency: amount.currency(),
            amount: WireMoney::from_money(amount),
            additional_amount: None,
            additional_edit: None,
            allow_credit: false,
            pos_id: pos_id.to_string(),
            pos_tid: pos_tid.to_string(),
            text: None,
            success_return_uri: None,
            failure_return_uri: None,
            cid: None,
            links: None,
            action,
            expires_in: None,
            required_scope: None,
            required_scope_text: None,
        }
    }

    pub fn amount(&self) -> Result<Money, WireError> {
        self.amount
            .to_money(self.currency)
            .map_err(|source| WireError::Money {
                field: "amount",
                source,
            })
    }

    pub fn additional_amount(&self) -> Result<Option<Money>, WireError> {
        money_field("additional_amount", &self.additional_amount, self.currency)
    }
}

/// Answer to `POST /payment_request/`: the tid; `uri` only when posted without a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequestCreated {
    pub id: String,
    #[serde(default)]
    pub uri: Option<String>,
}

/// `PUT /payment_request/<tid>/` (SECRET; KEY for refund): 204, 409 when illegal now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequestUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_message_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<UpdateAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<WireMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_amount: Option<WireMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl PaymentRequestUpdate {
    /// A bare action: reauth, abort, release, or a full capture.
    pub fn action(action: UpdateAction) -> PaymentRequestUpdate {
        PaymentRequestUpdate {
            action: Some(action),
            ..PaymentRequestUpdate::default()
        }
    }

    /// A capture of `amount` (no additional amount), idempotent on `capture_id` + amounts.
    pub fn capture(capture_id: &str, amount: Money) -> PaymentRequestUpdate {
        PaymentRequestUpdate {
            action: Some(UpdateAction::Capture),
            amount: Some(WireMoney::from_money(amount)),
            additional_amount: Some(WireMoney::from_money(Money::zero(amount.currency()))),
            capture_id: Some(capture_id.to_string()),
            currency: Some(amount.currency()),
            ..PaymentRequestUpdate::default()
        }
    }

    /// A refund of `amount` (KEY level), idempotent on `refund_id`.
    pub fn refund(refund_id: &str, amount: Money, text: Option<String>) -> PaymentRequestUpdate {
        PaymentRequestUpdate {
            action: Some(UpdateAction::Refund),
            amount: Some(WireMoney::from_money(amount)),
            additional_amount: Some(WireMoney::from_money(Money::zero(amount.currency()))),
            refund_id: Some(refund_id.to_string()),
            currency: Some(amount.currency()),
            text,
            ..PaymentRequestUpdate::default()
        }
    }

    /// The amount, if set (it needs `currency`).
    pub fn amount(&self) -> Result<Option<Money>, WireError> {
        match (self.currency, &self.amount) {
            (Some(c), a) => money_field("amount", a, c),
            (None, None) => Ok(None),
            (None, Some(a)) => Err(WireError::Money {
                field: "amount",
                source: MoneyError::Malformed(format!("{} without currency", a.as_str())),
            }),
        }
    }

    pub fn additional_amount(&self) -> Result<Option<Money>, WireError> {
        match (self.currency, &self.additional_amount) {
            (Some(c), a) => money_field("additional_amount", a, c),
            (None, None) => Ok(None),
            (None, Some(a)) => Err(WireError::Money {
                field: "additional_amount",
                source: MoneyError::Malformed(format!("{} without currency", a.as_str())),
            }),
        }
    }
}

/// `GET /payment_request/<tid>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequest {
    pub id: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub ledger: Option<String>,
    #[serde(default)]
    pub display_message_uri: Option<String>,
    #[serde(default)]
    pub callback_uri: Option<String>,
    #[serde(default)]
    pub line_items: Option<Vec<Value>>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub max_scan_age: Option<u32>,
    pub currency: Currency,
    pub amount: WireMoney,
    #[serde(default)]
    pub additional_amount: Option<WireMoney>,
    #[serde(default)]
    pub additional_edit: Option<bool>,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub success_return_uri: Option<String>,
    #[serde(default)]
    pub failure_return_uri: Option<String>,
    #[serde(default)]
    pub cid: Option<String>,
    #[serde(default)]
    pub links: Option<Vec<Value>>,
    #[serde(default)]
    pub date_expires: Option<String>,
    #[serde(default)]
    pub allow_credit: Option<bool>,
    #[serde(default)]
    pub required_scope: Option<String>,
}

impl PaymentRequest {
    pub fn amount(&self) -> Result<Money, WireError> {
        self.amount
            .to_money(self.currency)
            .map_err(|source| WireError::Money {
                field: "amount",
                source,
            })
    }
}

/// How a status code is to be read (the document's note): 1xxx and 3xxx are temporary,
/// 2xxx final success, 4xxx and 5xxx final failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusClass {
    /// Waiting for the customer or bank (1xxx).
    Pending,
    /// Authorized, waiting for capture (3xxx).
    Authorized,
    Success,
    Failure,
    /// A first digit the document does not describe: treated as "still waiting" by callers,
    /// never as success or failure.
    Unclassified,
}

/// An outcome's `status_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// 1003 PENDING: waiting for customer or bank.
    Pending,
    /// 2000 OK: payment received.
    Ok,
    /// 3008 AUTH: authorized, ready for capture.
    Auth,
    /// 4004 NOT_FOUND: no such customer.
    NotFound,
    /// 4019 ABORTED: merchant aborted before capture.
    Aborted,
    /// 5006 REJECTED: customer rejected or aborted.
    Rejected,
    /// 5011 REQUEST_EXPIRED.
    RequestExpired,
    /// 5012 AUTH_EXPIRED: authorization not captured within 3 days.
    AuthExpired,
    Unknown(u32),
}

impl StatusCode {
    pub fn from_code(code: u32) -> StatusCode {
        match code {
            1003 => StatusCode::Pending,
            2000 => StatusCode::Ok,
            3008 => StatusCode::Auth,
            4004 => StatusCode::NotFound,
            4019 => StatusCode::Aborted,
            5006 => StatusCode::Rejected,
            5011 => StatusCode::RequestExpired,
            5012 => StatusCode::AuthExpired,
            other => StatusCode::Unknown(other),
        }
    }

    pub fn code(&self) -> u32 {
        match self {
            StatusCode::Pending => 1003,
            StatusCode::Ok => 2000,
            StatusCode::Auth => 3008,
            StatusCode::NotFound => 4004,
            StatusCode::Aborted => 4019,
            StatusCode::Rejected => 5006,
            StatusCode::RequestExpired => 5011,
            StatusCode::AuthExpired => 5012,
            StatusCode::Unknown(c) => *c,
        }
    }

    /// The document's name for the code, or `UNKNOWN`.
    pub fn name(&self) -> &'static str {
        match self {
            StatusCode::Pending => "PENDING",
            StatusCode::Ok => "OK",
            StatusCode::Auth => "AUTH",
            StatusCode::NotFound => "NOT_FOUND",
            StatusCode::Aborted => "ABORTED",
            StatusCode::Rejected => "REJECTED",
            StatusCode::RequestExpired => "REQUEST_EXPIRED",
            StatusCode::AuthExpired => "AUTH_EXPIRED",
            StatusCode::Unknown(_) => "UNKNOWN",
        }
    }

    /// Classified by the first digit of the four-digit code.
    pub fn class(&self) -> StatusClass {
        match self.code() {
            1000..=1999 => StatusClass::Pending,
            2000..=2999 => StatusClass::Success,
            3000..=3999 => StatusClass::Authorized,
            4000..=5999 => StatusClass::Failure,
            _ => StatusClass::Unclassified,
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self.class(), StatusClass::Success | StatusClass::Failure)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.name())
    }
}

impl Serialize for StatusCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Some servers quote numbers; accept "2000" as well as 2000.
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .map(StatusCode::from_code)
                .ok_or_else(|| de::Error::custom(format!("status_code {n} is out of range"))),
            Value::String(s) => s
                .trim()
                .parse::<u32>()
                .map(StatusCode::from_code)
                .map_err(|_| de::Error::custom(format!("status_code {s:?} is not a number"))),
            other => Err(de::Error::custom(format!(
                "status_code must be an integer, got {other}"
            ))),
        }
    }
}

/// `GET /payment_request/<tid>/outcome/` (SECRET); also the `object` of payment callbacks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub currency: Currency,
    #[serde(default)]
    pub amount: Option<WireMoney>,
    #[serde(default)]
    pub additional_amount: Option<WireMoney>,
    #[serde(default)]
    pub auth_amount: Option<WireMoney>,
    #[serde(default)]
    pub auth_additional_amount: Option<WireMoney>,
    #[serde(default)]
    pub captures: Option<Vec<Value>>,
    #[serde(default)]
    pub refunds: Option<Vec<Value>>,
    /// ok, fail, auth or pending.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_code: Option<StatusCode>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub date_modified: Option<String>,
    #[serde(default)]
    pub date_expires: Option<String>,
    #[serde(default)]
    pub credit: Option<bool>,
    #[serde(default)]
    pub interchange_fee: Option<WireMoney>,
    #[serde(default)]
    pub transaction_fee: Option<WireMoney>,
    #[serde(default)]
    pub report_id: Option<String>,
    #[serde(default)]
    pub report_uri: Option<String>,
    #[serde(default)]
    pub ledger: Option<String>,
    #[serde(default)]
    pub attachment_uri: Option<String>,
    pub pos_id: String,
    pub pos_tid: String,
    pub tid: String,
    #[serde(default)]
    pub permissions: Option<Value>,
}

impl Outcome {
    pub fn amount(&self) -> Result<Option<Money>, WireError> {
        money_field("amount", &self.amount, self.currency)
    }
    pub fn additional_amount(&self) -> Result<Option<Money>, WireError> {
        money_field("additional_amount", &self.additional_amount, self.currency)
    }
    pub fn auth_amount(&self) -> Result<Option<Money>, WireError> {
        money_field("auth_amount", &self.auth_amount, self.currency)
    }
    pub fn auth_additional_amount(&self) -> Result<Option<Money>, WireError> {
        money_field(
            "auth_additional_amount",
            &self.auth_additional_amount,
            self.currency,
        )
    }
    pub fn interchange_fee(&self) -> Result<Option<Money>, WireError> {
        money_field("interchange_fee", &self.interchange_fee, self.currency)
    }
    pub fn transaction_fee(&self) -> Result<Option<Money>, WireError> {
        money_field("transaction_fee", &self.transaction_fee, self.currency)
    }
}
