//! Merchants, their users and POSes.

use super::*;

// Merchant

/// `GET /merchant/<merchant_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Merchant {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub mcc: Option<u32>,
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub location: Option<Value>,
    #[serde(default)]
    pub settlement_account_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Value>,
}

/// `GET /merchant_lookup/<lookup_id>/` (OPEN, integrators). The answer has no published schema:
/// the merchant id if present, and the rest as raw JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MerchantLookup {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

// User

/// `POST /user/` (KEY).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserCreate {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub secret: Option<SecretString>,
    /// PEM text of the user's RSA public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<String>,
}

/// `PUT /user/<user_id>/` (SECRET).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub secret: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<String>,
}

/// `GET /user/<user_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub has_secret: Option<bool>,
    #[serde(default)]
    pub pubkey: Option<String>,
}

// POS

/// What kind of point of sale; affects the map in the customer's app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PosType {
    Store,
    Webshop,
    Mobile,
    Vending,
    Poster,
}

/// `POST /pos/` (SECRET): 201 with `Location`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosCreate {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub pos_type: PosType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
}

/// `PUT /pos/<pos_id>/` (SECRET): 204.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosUpdate {
    pub name: String,
    #[serde(rename = "type")]
    pub pos_type: PosType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
}

/// `GET /pos/<pos_id>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pos {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub pos_type: PosType,
    #[serde(default)]
    pub location: Option<Value>,
}
