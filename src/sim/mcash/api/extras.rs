//! Permission requests, the status-code list and shortlinks.

use super::*;

// ---- permission requests ----------------------------------------------------------------

pub(super) async fn perm_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, now| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let pos_id = f.req_str("pos_id", 100);
        let pos_tid = f.req_str("pos_tid", 64);
        if let (Some(p), Some(t)) = (&pos_id, &pos_tid)
            && let Some(rid) = s.permissions_by_pos_tid.get(&(p.clone(), t.clone()))
        {
            let same = s
                .permissions
                .get(rid)
                .is_some_and(|r| r.request == Value::Object(obj.clone()));
            if !same {
                return Err(ApiError::conflict(&format!(
                    "pos_id {p} and pos_tid {t} were used for a different permission request"
                )));
            }
            return ok(json!({ "id": rid }));
        }
        f.req_str("customer", 100);
        let scope = f.req_str("scope", 500);
        let callback_uri = valid_uri(&mut f, "callback_uri");
        let expires_in = f.int("expires_in", 21_600, 2_592_000);
        f.opt_str("text", 10_000);
        f.finish()?;
        let (Some(pos_id), Some(pos_tid), Some(scope)) = (pos_id, pos_tid, scope) else {
            return Err(ApiError::validation("body", "Required fields are missing."));
        };
        let rid = new_id(22);
        s.permissions_by_pos_tid
            .insert((pos_id.clone(), pos_tid.clone()), rid.clone());
        s.permissions.insert(
            rid.clone(),
            Permission {
                rid: rid.clone(),
                request: Value::Object(obj),
                pos_id,
                pos_tid,
                scope,
                callback_uri,
                expires: now + time::Duration::seconds(expires_in),
                code: Code::Pending,
            },
        );
        created(
            s.url(&format!("permission_request/{rid}/")),
            json!({ "id": rid }),
        )
    })
}

pub(super) async fn perm_get(AxState(sim): Sim, Path(rid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let r = s.permissions.get(&rid).ok_or_else(ApiError::not_found)?;
        let mut v = r.request.clone();
        if let Some(o) = v.as_object_mut() {
            o.insert("date_expires".into(), json!(state::datetime(r.expires)));
        }
        ok(v)
    })
}

pub(super) async fn perm_outcome(
    AxState(sim): Sim,
    Path(rid): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.permissions.contains_key(&rid) {
            return Err(ApiError::not_found());
        }
        ok(s.permission_outcome_json(&rid))
    })
}

// ---- status codes -----------------------------------------------------------------------

const STATUS_CODES: &[(u32, &str)] = &[
    (1003, "Waiting for customer or bank"),
    (2000, "Payment received ok"),
    (3008, "Payment authorized, ready for capture"),
    (4004, "No such customer"),
    (4019, "Merchant aborted payment before capture"),
    (5006, "Customer rejected/aborted payment request"),
    (5011, "Payment request expired"),
    (5012, "Authorization not captured within 3 days"),
];

pub(super) fn status_json(code: u32, description: &str) -> Value {
    json!({
        "code": code.to_string(),
        "name": Code::from_code(code).name(),
        "description": description,
    })
}

pub(super) async fn status_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Open, ALL)?;
        ok(Value::Array(
            STATUS_CODES
                .iter()
                .map(|(c, d)| status_json(*c, d))
                .collect(),
        ))
    })
}

pub(super) async fn status_get(
    AxState(sim): Sim,
    Path(value): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Open, ALL)?;
        let code: u32 = value.parse().map_err(|_| ApiError::not_found())?;
        let (c, d) = STATUS_CODES
            .iter()
            .find(|(c, _)| *c == code)
            .ok_or_else(ApiError::not_found)?;
        ok(status_json(*c, d))
    })
}

// ---- shortlinks -------------------------------------------------------------------------

pub(super) fn shortlink_json(l: &Shortlink) -> Value {
    json!({
        "id": l.id,
        "callback_uri": l.callback_uri,
        "serial_number": l.serial_number,
        "description": l.description,
    })
}

pub(super) fn shortlink_fields(f: &mut Fields<'_>, l: &mut Shortlink) {
    if let Some(u) = valid_uri(f, "callback_uri") {
        l.callback_uri = Some(u);
    }
    if let Some(sn) = f.opt_str("serial_number", 100) {
        l.serial_number = Some(sn);
    }
    if let Some(d) = f.opt_str("description", 1000) {
        l.description = Some(d);
    }
}

pub(super) async fn shortlink_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        s.shortlink_seq += 1;
        let mut l = Shortlink {
            id: new_id(5),
            seq: s.shortlink_seq,
            callback_uri: None,
            serial_number: None,
            description: None,
        };
        shortlink_fields(&mut f, &mut l);
        f.finish()?;
        let id = l.id.clone();
        s.shortlinks.insert(id.clone(), l);
        created(s.url(&format!("shortlink/{id}/")), json!({ "id": id }))
    })
}

pub(super) async fn shortlink_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let mut links: Vec<&Shortlink> = s.shortlinks.values().collect();
        links.sort_by_key(|l| l.seq);
        let paths: Vec<String> = links
            .iter()
            .map(|l| format!("shortlink/{}/", l.id))
            .collect();
        list(s, &call, "shortlink/", paths.into_iter())
    })
}

pub(super) async fn shortlink_get(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        ok(shortlink_json(
            s.shortlinks.get(&id).ok_or_else(ApiError::not_found)?,
        ))
    })
}

pub(super) async fn shortlink_update(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let mut l = s
            .shortlinks
            .get(&id)
            .cloned()
            .ok_or_else(ApiError::not_found)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        shortlink_fields(&mut f, &mut l);
        f.finish()?;
        s.shortlinks.insert(id, l);
        no_content()
    })
}

pub(super) async fn shortlink_delete(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        // mCASH answers with a JSON body here (NOTES): the shortlink as it was.
        let gone = s.shortlinks.remove(&id).ok_or_else(ApiError::not_found)?;
        ok(shortlink_json(&gone))
    })
}
