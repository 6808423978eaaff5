//! Payment requests: create, read, outcome, update (capture, refund, abort), the testbed pay.

use super::*;

// ---- payment requests -------------------------------------------------------------------

/// Resolves `shortlink_id:<id>` / `shortlink_sn:<serial>` to a shortlink id.
pub(super) fn shortlink_of(s: &State, f: &mut Fields<'_>, customer: &str) -> Option<String> {
    if let Some(id) = customer.strip_prefix("shortlink_id:") {
        if s.shortlinks.contains_key(id) {
            return Some(id.to_string());
        }
        f.error("customer", format!("No shortlink with id {id}."));
    } else if let Some(sn) = customer.strip_prefix("shortlink_sn:") {
        if let Some(l) = s
            .shortlinks
            .values()
            .find(|l| l.serial_number.as_deref() == Some(sn))
        {
            return Some(l.id.clone());
        }
        f.error("customer", format!("No shortlink with serial number {sn}."));
    }
    None
}

pub(super) async fn pr_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, now| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let pos_id = f.req_str("pos_id", 100);
        let pos_tid = f.req_str("pos_tid", 64);
        if let (Some(p), Some(t)) = (&pos_id, &pos_tid) {
            let key = (p.clone(), t.clone());
            *s.counters.create_calls.entry(key.clone()).or_default() += 1;
            if let Some(tid) = s.by_pos_tid.get(&key).cloned() {
                let same = s
                    .payments
                    .get(&tid)
                    .is_some_and(|existing| existing.request == Value::Object(obj.clone()));
                if !same {
                    return Err(ApiError::conflict(&format!(
                        "pos_id {p} and pos_tid {t} were used for a different payment request"
                    )));
                }
                let uri = s.payments.get(&tid).and_then(|p| s.checkout_uri(p));
                let mut r = json_resp(StatusCode::OK, json!({ "id": tid, "uri": uri }));
                if let Ok(h) =
                    header::HeaderValue::from_str(&s.url(&format!("payment_request/{tid}/")))
                {
                    r.headers_mut().insert(header::LOCATION, h);
                }
                return Ok(r);
            }
        }
        if let Some(t) = &pos_tid
            && !is_local_id(t)
        {
            f.error("pos_tid", "Must match ^[a-zA-Z0-9_.-]+$.");
        }
        if let Some(p) = &pos_id
            && !s.pos.contains_key(p)
        {
            f.error("pos_id", format!("No POS with id {p} is registered."));
        }
        let currency = f.currency("currency", true);
        if !f.has("amount") {
            f.error("amount", "This field is required.");
        }
        let amount = f.money("amount", currency);
        if amount.is_some_and(|a| !a.is_positive()) {
            f.error("amount", "Ensure this value is positive.");
        }
        let additional = f.money("additional_amount", currency);
        f.opt_bool("additional_edit");
        f.req_bool("allow_credit");
        let action = match f.req_str("action", 10).as_deref() {
            Some("sale" | "SALE") => Some(Action::Sale),
            Some("auth" | "AUTH") => Some(Action::Auth),
            Some(_) => {
                f.error("action", "Value must be one of sale, auth, SALE, AUTH.");
                None
            }
            None => None,
        };
        let expires_in = f.int("expires_in", 21_600, 2_592_000);
        let max_scan_age = f.int("max_scan_age", 60, 2_592_000);
        let customer = f.opt_str("customer", 100);
        let shortlink = customer.as_deref().and_then(|c| shortlink_of(s, &mut f, c));
        let text = f.opt_str("text", 10_000);
        let callback_uri = valid_uri(&mut f, "callback_uri");
        let display_message_uri = valid_uri(&mut f, "display_message_uri");
        let ledger = f.opt_str("ledger", 100);
        if let Some(l) = &ledger {
            match s.ledgers.get(l) {
                None => f.error("ledger", format!("No ledger with id {l}.")),
                Some(l) if l.disabled => f.error("ledger", "The ledger is disabled."),
                Some(l) if currency.is_some_and(|c| c != l.currency) => {
                    f.error(
                        "ledger",
                        format!("The ledger's currency is {}.", l.currency),
                    );
                }
                Some(_) => {}
            }
        }
        f.finish()?;
        let (Some(pos_id), Some(pos_tid), Some(currency), Some(amount), Some(action)) =
            (pos_id, pos_tid, currency, amount, action)
        else {
            return Err(ApiError::validation("body", "Required fields are missing."));
        };
        let tid = new_id(22);
        s.insert_payment(Payment {
            tid: tid.clone(),
            request: Value::Object(obj),
            pos_id,
            pos_tid,
            currency,
            amount,
            additional_amount: additional.unwrap_or(Money::zero(currency)),
            action,
            customer,
            shortlink,
            max_scan_age,
            scan_token: None,
            text,
            ledger,
            callback_uri,
            display_message_uri,
            created: now,
            modified: now,
            request_expires: now + time::Duration::seconds(expires_in),
            auth_expires: None,
            code: Code::Pending,
            captures: Vec::new(),
            refunds: Vec::new(),
            released: false,
            report_id: None,
        });
        let uri = s.payments.get(&tid).and_then(|p| s.checkout_uri(p));
        money_moving(created(
            s.url(&format!("payment_request/{tid}/")),
            json!({ "id": tid, "uri": uri }),
        ))
    })
}

pub(super) async fn pr_get(AxState(sim): Sim, Path(tid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.payments.contains_key(&tid) {
            return Err(ApiError::not_found());
        }
        ok(s.payment_json(&tid))
    })
}

pub(super) async fn pr_outcome(
    AxState(sim): Sim,
    Path(tid): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.payments.contains_key(&tid) {
            return Err(ApiError::not_found());
        }
        ok(s.outcome_json(&tid))
    })
}

/// Reads the partial capture/refund quadruple: all four fields or none.
pub(super) fn part(
    f: &mut Fields<'_>,
    id_field: &str,
    currency: crate::money::Currency,
) -> Option<(String, Money, Money)> {
    let names = ["amount", "additional_amount", "currency", id_field];
    let set: Vec<bool> = names.iter().map(|n| f.has(n)).collect();
    if !set.iter().any(|b| *b) {
        return None;
    }
    for (n, is_set) in names.iter().zip(&set) {
        if !is_set {
            f.error(
                n,
                "Required if any of amount, additional_amount, currency and the id are set.",
            );
        }
    }
    let c = f.currency("currency", false);
    if c.is_some_and(|c| c != currency) {
        f.error(
            "currency",
            format!("The payment request's currency is {currency}."),
        );
    }
    let amount = f.money("amount", Some(currency));
    let additional = f.money("additional_amount", Some(currency));
    let id = f.opt_str(id_field, 100);
    if let Some(id) = &id
        && !is_local_id(id)
    {
        f.error(id_field, "Must match [a-zA-Z0-9-_.]+.");
    }
    Some((id?, amount?, additional?))
}

pub(super) async fn pr_update(AxState(sim): Sim, Path(tid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, now| {
        let caller = auth::authenticate(s, &call, Level::Secret, ALL)?;
        let currency = s
            .payments
            .get(&tid)
            .map(|p| p.currency)
            .ok_or_else(ApiError::not_found)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let action = f.opt_str("action", 20).map(|a| a.to_ascii_lowercase());
        let ledger = f.opt_str("ledger", 100);
        if let Some(l) = &ledger
            && !s
                .ledgers
                .get(l)
                .is_some_and(|l| !l.disabled && l.currency == currency)
        {
            f.error("ledger", format!("No usable ledger {l} in {currency}."));
        }
        let callback_uri = valid_uri(&mut f, "callback_uri");
        let display_message_uri = valid_uri(&mut f, "display_message_uri");
        let partial = match action.as_deref() {
            Some("capture") => part(&mut f, "capture_id", currency),
            Some("refund") => part(&mut f, "refund_id", currency),
            Some("reauth" | "abort" | "release") | None => None,
            Some(_) => {
                f.error(
                    "action",
                    "Value must be one of reauth, capture, abort, release, refund.",
                );
                None
            }
        };
        f.finish()?;
        if action.as_deref() == Some("refund") && caller.level < Level::Key {
            s.counters.unauthorized += 1;
            return Err(ApiError::unauthorized(
                "REFUND requires the KEY auth level (RSA-SHA256 signature)",
            ));
        }
        if let Some(p) = s.payments.get_mut(&tid) {
            if ledger.is_some() {
                p.ledger = ledger;
            }
            if callback_uri.is_some() {
                p.callback_uri = callback_uri;
            }
            if display_message_uri.is_some() {
                p.display_message_uri = display_message_uri;
            }
        }
        match action.as_deref() {
            Some("capture") => s.merchant_capture(&tid, partial, now)?,
            Some("refund") => s.merchant_refund(&tid, partial, now)?,
            Some("reauth") => s.merchant_reauth(&tid, now)?,
            Some("abort") => s.merchant_abort(&tid, now)?,
            Some("release") => s.merchant_release(&tid, now)?,
            _ => return no_content(),
        }
        money_moving(no_content())
    })
}

pub(super) async fn testbed_pay(
    AxState(sim): Sim,
    Path((merchant_id, tid)): Path<(String, String)>,
) -> ApiResult {
    sim.with(|s, now| {
        if merchant_id != s.merchant_id || !s.payments.contains_key(&tid) {
            return Err(ApiError::not_found());
        }
        if let Some(p) = s.payments.get_mut(&tid) {
            if p.waiting_for_scan() {
                p.scan_token = Some(format!("token:{merchant_id}-alice"));
            }
            p.customer
                .get_or_insert_with(|| format!("{merchant_id}-alice"));
        }
        s.customer_approve(&tid, false, now)
            .map_err(|e| ApiError::conflict(&e))?;
        money_moving(no_content())
    })
}
