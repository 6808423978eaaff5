//! What the API answers about the state: outcomes, payment requests, settlements and
//! permission requests as JSON.

use super::*;

impl State {
    pub fn outcome_json(&self, tid: &str) -> Value {
        let Some(p) = self.payments.get(tid) else {
            return Value::Null;
        };
        let cur = p.currency;
        let m = |minor: i64| Money::from_minor(minor, cur).to_decimal_string();
        let (aa, ab) = p.remaining_auth();
        let captures: Vec<Value> = p
            .captures
            .iter()
            .map(|c| {
                json!({
                    "capture_id": c.capture_id,
                    "amount": c.amount.to_decimal_string(),
                    "additional_amount": c.additional_amount.to_decimal_string(),
                    "currency": cur.code(),
                    "timestamp": datetime(c.at),
                })
            })
            .collect();
        let refunds: Vec<Value> = p
            .refunds
            .iter()
            .map(|r| {
                json!({
                    "refund_id": r.refund_id,
                    "amount": r.amount.to_decimal_string(),
                    "additional_amount": r.additional_amount.to_decimal_string(),
                    "currency": cur.code(),
                    "timestamp": datetime(r.at),
                })
            })
            .collect();
        json!({
            "currency": cur.code(),
            "amount": p.amount.to_decimal_string(),
            "additional_amount": p.additional_amount.to_decimal_string(),
            "auth_amount": m(aa),
            "auth_additional_amount": m(ab),
            "captures": captures,
            "refunds": refunds,
            "status": p.status_word(),
            "status_code": p.code.code(),
            "customer": p.customer,
            "date_modified": datetime(p.modified),
            "date_expires": datetime(p.date_expires()),
            "credit": false,
            "interchange_fee": m(0),
            "transaction_fee": m(0),
            "report_id": p.report_id,
            "report_uri": p.report_id.as_ref().zip(p.ledger.as_ref())
                .map(|(r, l)| self.url(&format!("ledger/{l}/report/{r}/"))),
            "ledger": p.ledger,
            "attachment_uri": Value::Null,
            "pos_id": p.pos_id,
            "pos_tid": p.pos_tid,
            "tid": p.tid,
            "permissions": Value::Null,
        })
    }

    pub fn payment_json(&self, tid: &str) -> Value {
        let Some(p) = self.payments.get(tid) else {
            return Value::Null;
        };
        let mut v = p.request.clone();
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), json!(p.tid));
            o.insert("uri".into(), json!(self.checkout_uri(p)));
            o.insert("ledger".into(), json!(p.ledger));
            o.insert("callback_uri".into(), json!(p.callback_uri));
            o.insert("display_message_uri".into(), json!(p.display_message_uri));
            o.insert("date_expires".into(), json!(datetime(p.request_expires)));
        }
        v
    }

    /// A request without a customer can be claimed on a checkout page: the simulator's
    /// customer page.
    pub fn checkout_uri(&self, p: &Payment) -> Option<String> {
        if p.customer.is_some() {
            return None;
        }
        let root = self
            .api_url
            .strip_suffix(&self.api_path)
            .unwrap_or(&self.api_url);
        Some(format!("{root}/#req-{}", p.tid))
    }

    // ---- settlements and permissions -----------------------------------------------------

    /// Settles everything captured minus refunded since the previous settlement.
    pub fn generate_settlement(&mut self, now: OffsetDateTime) -> String {
        let mut totals: BTreeMap<Currency, i64> = BTreeMap::new();
        for p in self.payments.values() {
            let (ca, cb) = p.captured();
            let (ra, rb) = p.refunded();
            let net = ca + cb - ra - rb;
            let done = self.settled.get(&p.tid).copied().unwrap_or(0);
            if net != done {
                *totals.entry(p.currency).or_default() += net - done;
            }
        }
        let nets: Vec<(String, i64)> = self
            .payments
            .values()
            .map(|p| {
                let (ca, cb) = p.captured();
                let (ra, rb) = p.refunded();
                (p.tid.clone(), ca + cb - ra - rb)
            })
            .collect();
        self.settled.extend(nets);
        let id = new_id(16);
        self.settlements.push(Settlement {
            id: id.clone(),
            created: now,
            totals,
        });
        id
    }

    pub fn settlement_json(&self, s: &Settlement) -> Value {
        let summary: Vec<Value> = s
            .totals
            .iter()
            .map(|(c, minor)| {
                json!({
                    "currency": c.code(),
                    "amount": Money::from_minor(*minor, *c).to_decimal_string(),
                })
            })
            .collect();
        json!({
            "id": s.id,
            "date_created": datetime(s.created),
            "transaction_log_uris": [],
            "scope_log_uris": [],
            "settlement_summary": summary,
            "payout_details": summary,
        })
    }

    pub fn permission_outcome_json(&self, rid: &str) -> Value {
        let Some(r) = self.permissions.get(rid) else {
            return Value::Null;
        };
        let ok = r.code == Code::Ok;
        json!({
            "access_token": if ok { json!(format!("sim-access-{rid}")) } else { Value::Null },
            "id_token": Value::Null,
            "token_type": "Bearer",
            "expires_in": if ok { json!(3600) } else { Value::Null },
            "refresh_token": Value::Null,
            "scope": r.scope,
            "currency": "NOK",
            "transaction_fee": "0.00",
            "report_id": Value::Null,
            "report_uri": Value::Null,
            "ledger_id": Value::Null,
            "status": match r.code { Code::Pending => "pending", Code::Ok => "ok", _ => "fail" },
            "status_code": r.code.code(),
            "pos_id": r.pos_id,
            "pos_tid": r.pos_tid,
            "rid": r.rid,
            "user_info": if ok { json!({"name": "Simulated Customer"}) } else { Value::Null },
        })
    }

    /// The customer answers a permission request.
    pub fn answer_permission(&mut self, rid: &str, approve: bool) -> Result<(), String> {
        let r = self
            .permissions
            .get_mut(rid)
            .ok_or_else(|| format!("no permission request {rid}"))?;
        if r.code != Code::Pending {
            return Err(format!(
                "permission request {rid} is {}, not pending",
                r.code
            ));
        }
        r.code = if approve { Code::Ok } else { Code::Rejected };
        if let Some(uri) = r.callback_uri.clone() {
            let resource_uri = self.url(&format!("permission_request/{rid}/outcome/"));
            let object = self.permission_outcome_json(rid);
            self.outbox.push(Notice {
                callback_uri: uri,
                event: "permission_request_answered",
                resource_uri,
                object,
                object_over_http: false,
            });
        }
        Ok(())
    }
}
