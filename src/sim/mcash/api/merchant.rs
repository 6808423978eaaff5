//! Merchant, users and POSes.

use super::*;

// ---- merchant ---------------------------------------------------------------------------

pub(super) fn merchant_json(s: &State) -> Value {
    json!({
        "id": s.merchant_id,
        "jurisdiction": "NO",
        "organization_id": ORGANIZATION_ID,
        "business_name": "Kassa Demo Merchant",
        "mcc": 0,
        "netmask": null,
        "location": null,
        "settlement_account_id": SETTLEMENT_ACCOUNT,
        "profile": null,
    })
}

pub(super) async fn merchant_get(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if id != s.merchant_id {
            return Err(ApiError::not_found());
        }
        ok(merchant_json(s))
    })
}

pub(super) async fn merchant_lookup(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Open, ALL)?;
        if id != ORGANIZATION_ID && id != s.merchant_id {
            return Err(ApiError::not_found());
        }
        ok(merchant_json(s))
    })
}

// ---- users ------------------------------------------------------------------------------

/// Reads `roles`, `netmask`, `secret`, `pubkey` (shared by create and update).
pub(super) fn user_fields(f: &mut Fields<'_>, obj: &Map<String, Value>, user: &mut User) {
    if let Some(v) = obj.get("roles").filter(|v| !v.is_null()) {
        match v.as_array() {
            Some(list) => {
                let mut roles = Vec::new();
                for r in list {
                    match r.as_str().map(str::to_ascii_lowercase) {
                        Some(r) if r == "user" || r == "superuser" => roles.push(r),
                        _ => f.error("roles", "Value must be one of user, superuser."),
                    }
                }
                user.roles = roles;
            }
            None => f.error("roles", "Expected a list."),
        }
    }
    if let Some(n) = f.opt_str("netmask", 50) {
        if Netmask::parse(&n).is_some() {
            user.netmask = Some(n);
        } else {
            f.error(
                "netmask",
                "Enter a valid IPv4 or IPv6 netmask, for example 192.168.1.0/24.",
            );
        }
    }
    if let Some(secret) = f.opt_str("secret", 64) {
        if secret.len() < 8 {
            f.error("secret", "Ensure this value has at least 8 characters.");
        } else {
            user.secret = Some(secrecy::SecretString::from(secret));
        }
    }
    if let Some(pem) = f.opt_str("pubkey", 10_000) {
        if sign::Verifier::from_pem(&pem).is_ok() {
            user.pubkey = Some(pem);
        } else {
            f.error("pubkey", "Not an RSA public key in PEM form.");
        }
    }
}

pub(super) async fn user_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Key, ADMIN)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let id = f.req_str("id", 100);
        let mut user = User {
            id: id.clone().unwrap_or_default(),
            roles: vec!["user".to_string()],
            netmask: None,
            secret: None,
            pubkey: None,
        };
        user_fields(&mut f, &obj, &mut user);
        f.finish()?;
        let id = user.id.clone();
        if s.users.contains_key(&id) {
            return Err(ApiError::conflict(&format!("user {id} exists already")));
        }
        s.users.insert(id.clone(), user);
        created(s.url(&format!("user/{id}/")), json!({ "id": id }))
    })
}

pub(super) async fn user_update(
    AxState(sim): Sim,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ADMIN)?;
        let obj = call.json()?;
        let mut user = s.users.get(&id).cloned().ok_or_else(ApiError::not_found)?;
        let mut f = Fields::new(&obj);
        user_fields(&mut f, &obj, &mut user);
        f.finish()?;
        s.users.insert(id, user);
        no_content()
    })
}

pub(super) async fn user_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let u = s.users.get(&id).ok_or_else(ApiError::not_found)?;
        ok(json!({
            "id": u.id,
            "roles": u.roles,
            "netmask": u.netmask,
            "has_secret": u.secret.is_some(),
            "pubkey": u.pubkey,
        }))
    })
}

// ---- POS --------------------------------------------------------------------------------

pub(super) fn pos_fields(f: &mut Fields<'_>) -> Option<Pos> {
    let name = f.req_str("name", 100);
    let kind = f.req_str("type", 50);
    if let Some(k) = &kind
        && !POS_TYPES.contains(&k.as_str())
    {
        f.error(
            "type",
            "Value must be one of store, webshop, mobile, vending, poster.",
        );
    }
    Some(Pos {
        name: name?,
        kind: kind?,
        location: Value::Null,
    })
}

pub(super) async fn pos_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let id = f.req_str("id", 100);
        let pos = pos_fields(&mut f);
        f.finish()?;
        let (Some(id), Some(mut pos)) = (id, pos) else {
            return Err(ApiError::validation("id", "This field is required."));
        };
        if s.pos.contains_key(&id) {
            return Err(ApiError::conflict(&format!("POS {id} exists already")));
        }
        pos.location = obj.get("location").cloned().unwrap_or(Value::Null);
        s.pos.insert(id.clone(), pos);
        created(s.url(&format!("pos/{id}/")), json!({ "id": id }))
    })
}

pub(super) async fn pos_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ADMIN)?;
        list(
            s,
            &call,
            "pos/",
            s.pos.keys().map(|id| format!("pos/{id}/")),
        )
    })
}

pub(super) async fn pos_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let p = s.pos.get(&id).ok_or_else(ApiError::not_found)?;
        ok(json!({ "id": id, "name": p.name, "type": p.kind, "location": p.location }))
    })
}

pub(super) async fn pos_update(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.pos.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let pos = pos_fields(&mut f);
        f.finish()?;
        if let Some(mut pos) = pos {
            pos.location = obj.get("location").cloned().unwrap_or(Value::Null);
            s.pos.insert(id, pos);
        }
        no_content()
    })
}

pub(super) async fn pos_delete(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ADMIN)?;
        s.pos.remove(&id).ok_or_else(ApiError::not_found)?;
        no_content()
    })
}
