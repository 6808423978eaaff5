//! One method per endpoint of `mcash.txt` (and the shortlinks of NOTES.md), each with the auth
//! level it needs, over the transport in the parent module.

use super::*;

impl McashClient {
    // -----------------------------------------------------------------------------------------
    // Merchant

    /// `GET /merchant/<merchant_id>/` (SECRET).
    pub async fn merchant(&self, merchant_id: &str) -> Result<Merchant, McashError> {
        self.get(
            &format!("merchant/{}/", seg(merchant_id)),
            AuthLevel::Secret,
            "merchant",
        )
        .await
    }

    /// `GET /merchant_lookup/<lookup_id>/` (OPEN, integrators).
    pub async fn merchant_lookup(&self, lookup_id: &str) -> Result<MerchantLookup, McashError> {
        self.get(
            &format!("merchant_lookup/{}/", seg(lookup_id)),
            AuthLevel::Open,
            "merchant lookup",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // User

    /// `POST /user/` (KEY).
    pub async fn create_user(&self, user: &UserCreate) -> Result<Created, McashError> {
        self.post("user/", AuthLevel::Key, user, "create user")
            .await
    }

    /// `PUT /user/<user_id>/` (SECRET).
    pub async fn update_user(&self, user_id: &str, update: &UserUpdate) -> Result<(), McashError> {
        self.no_content(
            Method::PUT,
            &format!("user/{}/", seg(user_id)),
            AuthLevel::Secret,
            Some(update),
            "update user",
        )
        .await
    }

    /// `GET /user/<user_id>/` (SECRET).
    pub async fn get_user(&self, user_id: &str) -> Result<User, McashError> {
        self.get(
            &format!("user/{}/", seg(user_id)),
            AuthLevel::Secret,
            "user",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // POS

    /// `POST /pos/` (SECRET): 201.
    pub async fn create_pos(&self, pos: &PosCreate) -> Result<Created, McashError> {
        let r = self
            .call(
                Method::POST,
                "pos/",
                AuthLevel::Secret,
                Some(pos),
                "create POS",
            )
            .await?;
        // The body is documented as `{"id"}`; an empty 201 is accepted as the id we sent.
        if r.body.is_empty() {
            return Ok(Created {
                id: Some(pos.id.clone()),
            });
        }
        Ok(r.json()?)
    }

    /// `GET /pos/` (SECRET): one page.
    pub async fn list_pos(&self) -> Result<ResourceList, McashError> {
        self.get("pos/", AuthLevel::Secret, "list POS").await
    }

    /// `PUT /pos/<pos_id>/` (SECRET): 204.
    pub async fn update_pos(&self, pos_id: &str, update: &PosUpdate) -> Result<(), McashError> {
        self.no_content(
            Method::PUT,
            &format!("pos/{}/", seg(pos_id)),
            AuthLevel::Secret,
            Some(update),
            "update POS",
        )
        .await
    }

    /// `DELETE /pos/<pos_id>/` (SECRET): 204.
    pub async fn delete_pos(&self, pos_id: &str) -> Result<(), McashError> {
        self.no_content::<()>(
            Method::DELETE,
            &format!("pos/{}/", seg(pos_id)),
            AuthLevel::Secret,
            None,
            "delete POS",
        )
        .await
    }

    /// `GET /pos/<pos_id>/` (SECRET).
    pub async fn get_pos(&self, pos_id: &str) -> Result<Pos, McashError> {
        self.get(&format!("pos/{}/", seg(pos_id)), AuthLevel::Secret, "POS")
            .await
    }

    // -----------------------------------------------------------------------------------------
    // Payment request

    /// `POST /payment_request/` (SECRET). 201 new, 200 identical (idempotent on pos_id and
    /// pos_tid); 409 (same key, other body) is an error.
    pub async fn create_payment_request(
        &self,
        request: &PaymentRequestCreate,
    ) -> Result<PaymentRequestAnswer, McashError> {
        let r = self
            .call(
                Method::POST,
                "payment_request/",
                AuthLevel::Secret,
                Some(request),
                "create payment request",
            )
            .await?;
        let creation = if r.status == 201 {
            Creation::New
        } else {
            Creation::Identical
        };
        Ok(PaymentRequestAnswer {
            created: r.json()?,
            creation,
            location: r.header("location").map(str::to_string),
        })
    }

    /// `PUT /payment_request/<tid>/` (SECRET; KEY for refunds, as the document requires): 204.
    pub async fn update_payment_request(
        &self,
        tid: &str,
        update: &PaymentRequestUpdate,
    ) -> Result<(), McashError> {
        let level = if update.action == Some(UpdateAction::Refund) {
            AuthLevel::Key
        } else {
            AuthLevel::Secret
        };
        self.no_content(
            Method::PUT,
            &format!("payment_request/{}/", seg(tid)),
            level,
            Some(update),
            "refund",
        )
        .await
    }

    /// `GET /payment_request/<tid>/` (SECRET).
    pub async fn get_payment_request(&self, tid: &str) -> Result<PaymentRequest, McashError> {
        self.get(
            &format!("payment_request/{}/", seg(tid)),
            AuthLevel::Secret,
            "payment request",
        )
        .await
    }

    /// `GET /payment_request/<tid>/outcome/` (SECRET).
    pub async fn payment_outcome(&self, tid: &str) -> Result<Outcome, McashError> {
        self.get(
            &format!("payment_request/{}/outcome/", seg(tid)),
            AuthLevel::Secret,
            "payment outcome",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Ledger and report

    /// `POST /ledger/` (SECRET): 201.
    pub async fn create_ledger(&self, ledger: &LedgerCreate) -> Result<Created, McashError> {
        self.post("ledger/", AuthLevel::Secret, ledger, "create ledger")
            .await
    }

    /// `GET /ledger/` (SECRET): one page.
    pub async fn list_ledgers(&self) -> Result<ResourceList, McashError> {
        self.get("ledger/", AuthLevel::Secret, "list ledgers").await
    }

    /// `PUT /ledger/<ledger_id>/` (SECRET): 204.
    pub async fn update_ledger(
        &self,
        ledger_id: &str,
        update: &LedgerUpdate,
    ) -> Result<(), McashError> {
        self.no_content(
            Method::PUT,
            &format!("ledger/{}/", seg(ledger_id)),
            AuthLevel::Secret,
            Some(update),
            "update ledger",
        )
        .await
    }

    /// `DELETE /ledger/<ledger_id>/` (SECRET): 204; 409 for the built-in default ledger.
    pub async fn delete_ledger(&self, ledger_id: &str) -> Result<(), McashError> {
        self.no_content::<()>(
            Method::DELETE,
            &format!("ledger/{}/", seg(ledger_id)),
            AuthLevel::Secret,
            None,
            "delete ledger",
        )
        .await
    }

    /// `GET /ledger/<ledger_id>/` (SECRET).
    pub async fn get_ledger(&self, ledger_id: &str) -> Result<Ledger, McashError> {
        self.get(
            &format!("ledger/{}/", seg(ledger_id)),
            AuthLevel::Secret,
            "ledger",
        )
        .await
    }

    /// `GET /ledger/<ledger_id>/report/` (SECRET): one page.
    pub async fn list_reports(&self, ledger_id: &str) -> Result<ResourceList, McashError> {
        self.get(
            &format!("ledger/{}/report/", seg(ledger_id)),
            AuthLevel::Secret,
            "list reports",
        )
        .await
    }

    /// `PUT /ledger/<ledger_id>/report/<report_id>/` (SECRET): starts closing; 204 (or 200).
    pub async fn close_report(
        &self,
        ledger_id: &str,
        report_id: &str,
        close: &ReportClose,
    ) -> Result<(), McashError> {
        self.no_content(
            Method::PUT,
            &format!("ledger/{}/report/{}/", seg(ledger_id), seg(report_id)),
            AuthLevel::Secret,
            Some(close),
            "close report",
        )
        .await
    }

    /// PUT to a report uri the server gave (`open_report_uri`).
    pub async fn close_report_uri(&self, uri: &str, close: &ReportClose) -> Result<(), McashError> {
        self.no_content(
            Method::PUT,
            uri,
            AuthLevel::Secret,
            Some(close),
            "close report",
        )
        .await
    }

    /// `GET /ledger/<ledger_id>/report/<report_id>/` (SECRET).
    pub async fn get_report(&self, ledger_id: &str, report_id: &str) -> Result<Report, McashError> {
        self.get(
            &format!("ledger/{}/report/{}/", seg(ledger_id), seg(report_id)),
            AuthLevel::Secret,
            "report",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Settlement

    /// `GET /last_settlement/` (SECRET): the 302's `Location`, or `None` on 404 (no settlement
    /// yet). Redirects are not followed, so the caller fetches it with [`Self::get_uri`].
    pub async fn last_settlement(&self) -> Result<Option<String>, McashError> {
        let url = self.resolve("last_settlement/")?;
        let r = self
            .execute(Method::GET, url, AuthLevel::Secret, None, "last settlement")
            .await?;
        match r.status {
            301 | 302 | 303 | 307 | 308 => {
                r.header("location")
                    .map(|l| Some(l.to_string()))
                    .ok_or(McashError::MissingHeader {
                        status: r.status,
                        header: "Location",
                    })
            }
            404 => Ok(None),
            _ => Err(self.error(&r)),
        }
    }

    /// `GET /settlement/` (SECRET): one page.
    pub async fn list_settlements(&self) -> Result<ResourceList, McashError> {
        self.get("settlement/", AuthLevel::Secret, "list settlements")
            .await
    }

    /// `GET /settlement/<settlement_id>/` (SECRET).
    pub async fn get_settlement(&self, settlement_id: &str) -> Result<Settlement, McashError> {
        self.get(
            &format!("settlement/{}/", seg(settlement_id)),
            AuthLevel::Secret,
            "settlement",
        )
        .await
    }

    /// `GET /settlement_account/<settlement_account_id>/` (SECRET).
    pub async fn settlement_account(
        &self,
        account_id: &str,
    ) -> Result<SettlementAccount, McashError> {
        self.get(
            &format!("settlement_account/{}/", seg(account_id)),
            AuthLevel::Secret,
            "settlement account",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Permission request

    /// `POST /permission_request/` (SECRET): 201 new, 200 identical.
    pub async fn create_permission_request(
        &self,
        request: &PermissionRequestCreate,
    ) -> Result<Created, McashError> {
        self.post(
            "permission_request/",
            AuthLevel::Secret,
            request,
            "create permission request",
        )
        .await
    }

    /// `GET /permission_request/<rid>/` (SECRET).
    pub async fn get_permission_request(&self, rid: &str) -> Result<PermissionRequest, McashError> {
        self.get(
            &format!("permission_request/{}/", seg(rid)),
            AuthLevel::Secret,
            "permission request",
        )
        .await
    }

    /// `GET /permission_request/<rid>/outcome/` (SECRET).
    pub async fn permission_outcome(&self, rid: &str) -> Result<PermissionOutcome, McashError> {
        self.get(
            &format!("permission_request/{}/outcome/", seg(rid)),
            AuthLevel::Secret,
            "permission outcome",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Status codes

    /// `GET /status_code/` (OPEN).
    pub async fn status_codes(&self) -> Result<Vec<StatusCodeInfo>, McashError> {
        self.get("status_code/", AuthLevel::Open, "status codes")
            .await
    }

    /// `GET /status_code/<value>/` (OPEN).
    pub async fn status_code(&self, value: u32) -> Result<StatusCodeInfo, McashError> {
        self.get(
            &format!("status_code/{value}/"),
            AuthLevel::Open,
            "status code",
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Shortlinks

    /// `POST /shortlink/` (SECRET): 201 `{"id"}`.
    pub async fn create_shortlink(
        &self,
        shortlink: &ShortlinkCreate,
    ) -> Result<Created, McashError> {
        self.post(
            "shortlink/",
            AuthLevel::Secret,
            shortlink,
            "create shortlink",
        )
        .await
    }

    /// `GET /shortlink/` (SECRET): one page.
    pub async fn list_shortlinks(&self) -> Result<ResourceList, McashError> {
        self.get("shortlink/", AuthLevel::Secret, "list shortlinks")
            .await
    }

    /// `GET /shortlink/<id>/` (SECRET).
    pub async fn get_shortlink(&self, id: &str) -> Result<Shortlink, McashError> {
        self.get(
            &format!("shortlink/{}/", seg(id)),
            AuthLevel::Secret,
            "shortlink",
        )
        .await
    }

    /// `PUT /shortlink/<id>/` (SECRET).
    pub async fn update_shortlink(
        &self,
        id: &str,
        update: &ShortlinkCreate,
    ) -> Result<(), McashError> {
        self.no_content(
            Method::PUT,
            &format!("shortlink/{}/", seg(id)),
            AuthLevel::Secret,
            Some(update),
            "update shortlink",
        )
        .await
    }

    /// `DELETE /shortlink/<id>/` (SECRET). mCASH answers with a JSON body (NOTES), read as
    /// the deleted shortlink when it is one; a 204, an empty body or JSON without an `id` (such
    /// as `{}`) is a plain success. A body that is not JSON at all is a malformed answer.
    pub async fn delete_shortlink(&self, id: &str) -> Result<Option<Shortlink>, McashError> {
        let r = self
            .call::<()>(
                Method::DELETE,
                &format!("shortlink/{}/", seg(id)),
                AuthLevel::Secret,
                None,
                "delete shortlink",
            )
            .await?;
        if r.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let body: serde_json::Value = r.json()?;
        let has_id = body.get("id").is_some_and(serde_json::Value::is_string);
        Ok(if has_id {
            Some(serde_json::from_value(body).map_err(|e| HttpError::Decode {
                status: r.status,
                message: e.to_string(),
            })?)
        } else {
            None
        })
    }
}
