//! A payment request's life: created, scanned, approved or rejected by the customer, captured,
//! released, aborted, refunded, expired by the sweep.

use super::*;

impl State {
    // ---- payment requests ---------------------------------------------------------------

    /// Registers a new payment request (validated by the caller) and binds a recent scan.
    pub fn insert_payment(&mut self, p: Payment) {
        let tid = p.tid.clone();
        let key = (p.pos_id.clone(), p.pos_tid.clone());
        *self.counters.created.entry(key.clone()).or_default() += 1;
        self.by_pos_tid.insert(key, tid.clone());
        let now = p.created;
        self.payments.insert(tid.clone(), p);
        self.log(&tid, "pending");
        let waits = self
            .payments
            .get(&tid)
            .is_some_and(Payment::waiting_for_scan);
        self.progress(
            &tid,
            if waits {
                "Waiting for the customer to scan the QR code"
            } else {
                "Waiting for the customer to accept"
            },
        );
        self.bind_recent_scan(&tid, now);
    }

    pub(super) fn bind_recent_scan(&mut self, tid: &str, now: OffsetDateTime) {
        let Some(p) = self.payments.get(tid) else {
            return;
        };
        let Some(shortlink) = p.shortlink.clone() else {
            return;
        };
        let oldest = now - time::Duration::seconds(p.max_scan_age);
        let scan = self
            .scans
            .iter_mut()
            .rev()
            .find(|s| s.shortlink == shortlink && s.used_by.is_none() && s.at >= oldest);
        if let Some(s) = scan {
            s.used_by = Some(tid.to_string());
            let token = s.token.clone();
            if let Some(p) = self.payments.get_mut(tid) {
                p.scan_token = Some(token);
                p.modified = now;
            }
            self.progress(tid, SCANNED);
        }
    }

    /// A customer scans a shortlink: the oldest request waiting on it takes the scan token.
    pub fn scan(
        &mut self,
        shortlink: &str,
        argstring: Option<String>,
        now: OffsetDateTime,
    ) -> Option<String> {
        let link = self.shortlinks.get(shortlink)?.clone();
        let token = format!("token:{}", new_id(20));
        self.scans
            .retain(|s| s.used_by.is_some() || now - s.at < SCAN_LIFETIME);
        let waiting = self
            .payments
            .values()
            .filter(|p| p.waiting_for_scan() && p.shortlink.as_deref() == Some(shortlink))
            .min_by_key(|p| p.created)
            .map(|p| p.tid.clone());
        if let Some(tid) = &waiting
            && let Some(p) = self.payments.get_mut(tid)
        {
            p.scan_token = Some(token.clone());
            p.modified = now;
            self.progress(tid, SCANNED);
        }
        self.scans.push(Scan {
            token: token.clone(),
            shortlink: shortlink.to_string(),

            at: now,
            used_by: waiting,
        });
        if let Some(uri) = link.callback_uri {
            self.outbox.push(Notice {
                callback_uri: uri,
                event: "shortlink_scanned",
                resource_uri: self.url(&format!("shortlink/{shortlink}/")),
                object: json!({ "id": token, "argstring": argstring }),
                object_over_http: false,
            });
        }
        Some(token)
    }

    /// Announces a change of a payment request: the event to its `callback_uri` (the outcome
    /// as `object`) and a line for the operator to its `display_message_uri`.
    pub(super) fn notify(&mut self, tid: &str, event: &'static str) {
        let Some(p) = self.payments.get(tid) else {
            return;
        };
        let uri = p.callback_uri.clone();
        if let Some(uri) = uri {
            let object = self.outcome_json(tid);
            self.outbox.push(Notice {
                callback_uri: uri,
                event,
                resource_uri: self.url(&format!("payment_request/{tid}/outcome/")),
                object,
                object_over_http: false,
            });
        }
        if let Some(text) = progress_text(event) {
            self.progress(tid, text);
        }
    }

    /// POSTs a progress line to the payment request's `display_message_uri`, if it has one.
    pub(super) fn progress(&mut self, tid: &str, text: &str) {
        let Some(uri) = self
            .payments
            .get(tid)
            .and_then(|p| p.display_message_uri.clone())
        else {
            return;
        };
        self.outbox.push(Notice {
            callback_uri: uri,
            event: DISPLAY_MESSAGE,
            resource_uri: self.url(&format!("payment_request/{tid}/outcome/")),
            object: json!({ "tid": tid, "text": text }),
            object_over_http: true,
        });
    }

    pub(super) fn set_code(&mut self, tid: &str, code: Code, now: OffsetDateTime) {
        if let Some(p) = self.payments.get_mut(tid) {
            p.code = code;
            p.modified = now;
        }
    }

    /// Applies request and authorization expiry.
    pub fn sweep(&mut self, now: OffsetDateTime) {
        let due: Vec<(String, Code)> = self
            .payments
            .values()
            .filter_map(|p| match p.code {
                Code::Pending if now >= p.request_expires => {
                    Some((p.tid.clone(), Code::RequestExpired))
                }
                Code::Auth if p.auth_expires.is_some_and(|t| now >= t) => {
                    Some((p.tid.clone(), Code::AuthExpired))
                }
                _ => None,
            })
            .collect();
        for (tid, code) in due {
            let partly_captured = self
                .payments
                .get(&tid)
                .is_some_and(|p| !p.captures.is_empty());
            if code == Code::AuthExpired && partly_captured {
                // What was captured stands; the rest of the authorization lapses.
                self.set_code(&tid, Code::Ok, now);
            } else {
                self.set_code(&tid, code, now);
            }
            self.log(&tid, "expire");
            let event = if code == Code::AuthExpired {
                "payment_authorization_expired"
            } else {
                "payment_request_expired"
            };
            self.notify(&tid, event);
        }
        let expired: Vec<String> = self
            .permissions
            .values()
            .filter(|r| r.code == Code::Pending && now >= r.expires)
            .map(|r| r.rid.clone())
            .collect();
        for rid in expired {
            if let Some(r) = self.permissions.get_mut(&rid) {
                r.code = Code::RequestExpired;
            }
        }
    }

    /// The customer approves: a sale is captured in full, an auth request is authorized.
    pub fn customer_approve(
        &mut self,
        tid: &str,
        authorize_only: bool,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        let p = self
            .payments
            .get(tid)
            .ok_or_else(|| format!("no payment request {tid}"))?;
        if p.code != Code::Pending {
            return Err(format!("payment request {tid} is {}, not pending", p.code));
        }
        if p.waiting_for_scan() {
            return Err(format!(
                "payment request {tid} waits for a scan of shortlink {}",
                p.shortlink.as_deref().unwrap_or("")
            ));
        }
        let sale = p.action == Action::Sale && !authorize_only;
        let (amount, additional) = (p.amount, p.additional_amount);
        if let Some(p) = self.payments.get_mut(tid) {
            p.code = Code::Auth;
            p.auth_expires = Some(now + AUTH_LIFETIME);
            p.modified = now;
        }
        self.log(tid, "auth");
        if sale {
            self.capture(tid, None, amount, additional, now);
            self.notify(tid, "payment_captured");
        } else {
            self.notify(tid, "payment_authorized");
        }
        Ok(())
    }

    pub fn customer_reject(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), String> {
        let p = self
            .payments
            .get(tid)
            .ok_or_else(|| format!("no payment request {tid}"))?;
        if p.code != Code::Pending {
            return Err(format!("payment request {tid} is {}, not pending", p.code));
        }
        self.set_code(tid, Code::Rejected, now);
        self.log(tid, "fail");
        self.notify(tid, "payment_aborted_by_customer");
        Ok(())
    }

    /// Records a capture; the request turns `ok` once nothing authorized remains.
    pub(super) fn capture(
        &mut self,
        tid: &str,
        capture_id: Option<String>,
        amount: Money,
        additional: Money,
        now: OffsetDateTime,
    ) {
        let Some(p) = self.payments.get_mut(tid) else {
            return;
        };
        p.captures.push(Capture {
            capture_id,
            amount,
            additional_amount: additional,
            at: now,
        });
        p.modified = now;
        if p.remaining_auth() == (0, 0) {
            p.code = Code::Ok;
            p.auth_expires = None;
        }
        self.log(tid, "capture");
        self.log_amount(tid, amount.minor() + additional.minor(), 0);
    }

    /// Merchant capture. `part` is `(capture_id, amount, additional)` or `None` for "the rest".
    pub fn merchant_capture(
        &mut self,
        tid: &str,
        part: Option<(String, Money, Money)>,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        match part {
            None => {
                if p.code == Code::Ok {
                    return Ok(()); // everything already captured: idempotent
                }
                if p.code != Code::Auth {
                    return Err(ApiError::conflict(&format!(
                        "cannot capture a payment request in state {}",
                        p.code
                    )));
                }
                let (a, b) = p.remaining_auth();
                let cur = p.currency;
                self.capture(
                    tid,
                    None,
                    Money::from_minor(a, cur),
                    Money::from_minor(b, cur),
                    now,
                );
            }
            Some((id, amount, additional)) => {
                if let Some(c) = p
                    .captures
                    .iter()
                    .find(|c| c.capture_id.as_deref() == Some(id.as_str()))
                {
                    return if c.amount == amount && c.additional_amount == additional {
                        Ok(())
                    } else {
                        Err(ApiError::conflict(&format!(
                            "capture_id {id} was used with other amounts"
                        )))
                    };
                }
                if p.code != Code::Auth {
                    return Err(ApiError::conflict(&format!(
                        "cannot capture a payment request in state {}",
                        p.code
                    )));
                }
                let (a, b) = p.remaining_auth();
                if amount.minor() > a {
                    return Err(ApiError::validation(
                        "amount",
                        "exceeds the amount still authorized",
                    ));
                }
                if additional.minor() > b {
                    return Err(ApiError::validation(
                        "additional_amount",
                        "exceeds the additional amount still authorized",
                    ));
                }
                self.capture(tid, Some(id), amount, additional, now);
            }
        }
        self.notify(tid, "payment_captured");
        Ok(())
    }

    pub fn merchant_reauth(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let p = self.payments.get_mut(tid).ok_or_else(ApiError::not_found)?;
        if p.code != Code::Auth {
            return Err(ApiError::conflict(&format!(
                "cannot reauthorize a payment request in state {}",
                p.code
            )));
        }
        p.auth_expires = Some(now + AUTH_LIFETIME);
        p.modified = now;
        self.notify(tid, "payment_authorization_renewed");
        Ok(())
    }

    pub fn merchant_abort(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        match p.code {
            Code::Aborted => Ok(()),
            Code::Pending => {
                self.set_code(tid, Code::Aborted, now);
                self.log(tid, "abort");
                self.notify(tid, "payment_aborted_by_merchant");
                Ok(())
            }
            Code::Auth if p.captures.is_empty() => {
                self.set_code(tid, Code::Aborted, now);
                self.log(tid, "abort");
                self.notify(tid, "payment_aborted_by_merchant");
                Ok(())
            }
            other => Err(ApiError::conflict(&format!(
                "cannot abort a payment request in state {other}"
            ))),
        }
    }

    pub fn merchant_release(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        if p.released {
            return Ok(());
        }
        if p.code != Code::Auth {
            return Err(ApiError::conflict(&format!(
                "cannot release a payment request in state {}",
                p.code
            )));
        }
        let code = if p.captures.is_empty() {
            Code::Aborted
        } else {
            Code::Ok
        };
        if let Some(p) = self.payments.get_mut(tid) {
            p.released = true;
            p.auth_expires = None;
        }
        self.set_code(tid, code, now);
        self.log(tid, "release");
        self.notify(tid, "payment_auth_released");
        Ok(())
    }

    pub fn merchant_refund(
        &mut self,
        tid: &str,
        part: Option<(String, Money, Money)>,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        if p.code != Code::Ok {
            return Err(ApiError::conflict(&format!(
                "cannot refund a payment request in state {}",
                p.code
            )));
        }
        let (ca, cb) = p.captured();
        let (ra, rb) = p.refunded();
        let cur = p.currency;
        let (id, amount, additional) = match part {
            Some((id, a, b)) => {
                if let Some(r) = p
                    .refunds
                    .iter()
                    .find(|r| r.refund_id.as_deref() == Some(id.as_str()))
                {
                    return if r.amount == a && r.additional_amount == b {
                        Ok(())
                    } else {
                        Err(ApiError::conflict(&format!(
                            "refund_id {id} was used with other amounts"
                        )))
                    };
                }
                (Some(id), a, b)
            }
            None => {
                if ca == ra && cb == rb {
                    return Ok(()); // fully refunded already: idempotent
                }
                (
                    None,
                    Money::from_minor(ca - ra, cur),
                    Money::from_minor(cb - rb, cur),
                )
            }
        };
        if amount.minor() > ca - ra || additional.minor() > cb - rb {
            return Err(ApiError::validation(
                "amount",
                "exceeds the captured amount not yet refunded",
            ));
        }
        if let Some(p) = self.payments.get_mut(tid) {
            p.refunds.push(Refund {
                refund_id: id,
                amount,
                additional_amount: additional,
                at: now,
            });
            p.modified = now;
        }
        self.log(tid, "refund");
        self.log_amount(tid, 0, amount.minor() + additional.minor());
        self.notify(tid, "payment_refunded");
        Ok(())
    }
}
