//! mCASH error answers: `{"error_type", "error_description", "error_details"}` (NOTES).
//!
//! Only `validation_error` is documented; the other `error_type` words (`authentication_error`,
//! `permission_denied`, `not_found`, `conflict`, `unsupported_media_type`) are this simulator's
//! decision, in the same shape so clients parse one form.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::MEDIA_TYPE;

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub description: String,
    pub details: Value,
}

impl ApiError {
    pub fn validation(field: &str, problem: &str) -> ApiError {
        let mut details = serde_json::Map::new();
        details.insert(field.to_string(), json!([problem]));
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error_type: "validation_error",
            description: format!("{field}: {problem}"),
            details: Value::Object(details),
        }
    }

    /// Several field problems at once, as a form validator reports them.
    pub fn validation_fields(fields: Vec<(String, String)>) -> ApiError {
        let description = fields
            .iter()
            .map(|(f, p)| format!("{f}: {p}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut details = serde_json::Map::new();
        for (f, p) in fields {
            match details.get_mut(&f).and_then(Value::as_array_mut) {
                Some(list) => list.push(json!(p)),
                None => {
                    details.insert(f, json!([p]));
                }
            }
        }
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error_type: "validation_error",
            description,
            details: Value::Object(details),
        }
    }

    pub fn unauthorized(why: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            error_type: "authentication_error",
            description: why.to_string(),
            details: json!({}),
        }
    }

    /// The same error with `error_details` replaced (debugging aids such as `string_to_sign`).
    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn forbidden(why: &str) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            error_type: "permission_denied",
            description: why.to_string(),
            details: json!({}),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            error_type: "not_found",
            description: "resource not found (or not visible to this merchant)".to_string(),
            details: json!({}),
        }
    }

    pub fn conflict(why: &str) -> ApiError {
        ApiError {
            status: StatusCode::CONFLICT,
            error_type: "conflict",
            description: why.to_string(),
            details: json!({}),
        }
    }

    pub fn media_type(got: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error_type: "unsupported_media_type",
            description: format!(
                "content type {got:?} is not accepted; send application/json or {MEDIA_TYPE}"
            ),
            details: json!({}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error_type": self.error_type,
            "error_description": self.description,
            "error_details": self.details,
        });
        (
            self.status,
            [(axum::http::header::CONTENT_TYPE, MEDIA_TYPE)],
            body.to_string(),
        )
            .into_response()
    }
}
