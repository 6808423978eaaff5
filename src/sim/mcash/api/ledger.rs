//! Ledgers, reports (closed at day end) and settlements.

use super::*;

// ---- ledgers and reports ----------------------------------------------------------------

pub(super) async fn ledger_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let currency = f.currency("currency", true);
        let description = f.opt_str("description", 1000);
        f.finish()?;
        let Some(currency) = currency else {
            return Err(ApiError::validation("currency", "This field is required."));
        };
        let id = new_id(12);
        s.add_ledger(id.clone(), currency, description);
        created(s.url(&format!("ledger/{id}/")), json!({ "id": id }))
    })
}

pub(super) async fn ledger_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        list(
            s,
            &call,
            "ledger/",
            s.ledgers.keys().map(|id| format!("ledger/{id}/")),
        )
    })
}

pub(super) async fn ledger_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let l = s.ledgers.get(&id).ok_or_else(ApiError::not_found)?;
        let report_uri = |r: &String| s.url(&format!("ledger/{id}/report/{r}/"));
        let open = l.reports.last().map(report_uri);
        let last_closed = l
            .reports
            .iter()
            .rev()
            .find(|r| s.reports.get(*r).is_some_and(|r| r.closed.is_some()))
            .map(report_uri);
        ok(json!({
            "id": l.id,
            "currency": l.currency.code(),
            "description": l.description,
            "open_report_uri": open,
            "last_closed_report_uri": last_closed,
        }))
    })
}

pub(super) async fn ledger_update(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.ledgers.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let description = f.opt_str("description", 1000);
        f.finish()?;
        if let Some(l) = s.ledgers.get_mut(&id) {
            l.description = description;
        }
        no_content()
    })
}

pub(super) async fn ledger_delete(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if id == state::DEFAULT_LEDGER {
            return Err(ApiError::conflict(
                "the built-in default ledger cannot be deleted",
            ));
        }
        let l = s.ledgers.get_mut(&id).ok_or_else(ApiError::not_found)?;
        l.disabled = true;
        no_content()
    })
}

pub(super) async fn report_list(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let l = s.ledgers.get(&id).ok_or_else(ApiError::not_found)?;
        let uris: Vec<String> = l
            .reports
            .iter()
            .map(|r| format!("ledger/{id}/report/{r}/"))
            .collect();
        list(s, &call, &format!("ledger/{id}/report/"), uris.into_iter())
    })
}

pub(super) fn report_in_ledger(s: &State, ledger: &str, report: &str) -> Result<(), ApiError> {
    match s.reports.get(report) {
        Some(r) if r.ledger == ledger => Ok(()),
        _ => Err(ApiError::not_found()),
    }
}

pub(super) async fn report_get(
    AxState(sim): Sim,
    Path((ledger, report)): Path<(String, String)>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        report_in_ledger(s, &ledger, &report)?;
        ok(s.report_json(&report))
    })
}

pub(super) async fn report_close(
    AxState(sim): Sim,
    Path((ledger, report)): Path<(String, String)>,
    call: Call,
) -> ApiResult {
    sim.with(|s, now| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        report_in_ledger(s, &ledger, &report)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let callback_uri = valid_uri(&mut f, "callback_uri");
        f.finish()?;
        s.close_report(&ledger, &report, callback_uri, now);
        no_content()
    })
}

// ---- settlements ------------------------------------------------------------------------

pub(super) async fn last_settlement(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let last = s.settlements.last().ok_or_else(ApiError::not_found)?;
        let location = s.url(&format!("settlement/{}/", last.id));
        let mut r = StatusCode::FOUND.into_response();
        if let Ok(h) = header::HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, h);
        }
        Ok(r)
    })
}

pub(super) async fn settlement_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        list(
            s,
            &call,
            "settlement/",
            s.settlements
                .iter()
                .map(|x| format!("settlement/{}/", x.id)),
        )
    })
}

pub(super) async fn settlement_get(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let x = s
            .settlements
            .iter()
            .find(|x| x.id == id)
            .ok_or_else(ApiError::not_found)?;
        ok(s.settlement_json(x))
    })
}

pub(super) async fn settlement_account(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if id != SETTLEMENT_ACCOUNT {
            return Err(ApiError::not_found());
        }
        ok(json!({
            "net_transactions_for": [s.merchant_id],
            "bill_scopes_for": [s.merchant_id],
        }))
    })
}
