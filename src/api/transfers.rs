//! A person's units over time: `GET /staff/{id}/units` lists them, and
//! `DELETE /staff/{id}/units/last` undoes a transfer recorded by mistake. Transfers
//! themselves are made with `PATCH /staff/{id}` (`unit_id`, `moved_on`).

use std::collections::HashMap;

use actix_web::{delete, get, web};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::staff::StaffView;
use super::{blocking, local_now};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::db::units::UnitRow;
use crate::domain::access::Action;
use crate::domain::postings::{Earlier, spells};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(staff_units).service(undo_transfer);
}

/// One spell of a person in a unit; days inclusive.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpellView {
    pub unit_id: i64,
    /// Null for a unit the caller does not read (another department's, say), unless
    /// the spells are the caller's own.
    pub unit_code: Option<String>,
    /// Null as `unit_code` is.
    pub unit_name: Option<String>,
    /// None for the first spell (since the record began).
    pub from: Option<NaiveDate>,
    /// None for the spell still running.
    pub to: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/staff/{id}/units", tag = "staff",
    responses((status = 200, body = Vec<SpellView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/staff/{id}/units")]
pub async fn staff_units(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<SpellView>>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadStaff);
    // A newcomer's earlier units may lie outside what the reader sees: the spell's dates
    // are theirs to read, the unit's code and name are not (nobody learns what exists
    // outside their reach). One's own history is one's own.
    let units_read = auth.can(Action::ReadUnits);
    let own = auth.actor.staff_id == Some(id);
    let spells = blocking(&state, move |db: &Db| {
        db.read(|c| {
            let person = super::attendance::visible_person(c, &read, id)?.staff;
            let earlier: Vec<Earlier<i64>> = crate::db::moves::earlier_of(c, &[id])?
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|e| Earlier {
                    until: e.until,
                    unit: e.unit.unit_id,
                })
                .collect();
            let spells = spells(&earlier, &person.unit_id);
            let ids: Vec<i64> = spells.iter().map(|s| s.unit).collect();
            let units: HashMap<i64, UnitRow> = crate::db::units::find_many(c, &ids)?
                .into_iter()
                .map(|u| (u.id, u))
                .collect();
            Ok(spells
                .into_iter()
                .filter_map(|s| {
                    let u = units.get(&s.unit)?;
                    let shown = own || units_read.unit(u.id, &u.path);
                    Some(SpellView {
                        unit_id: u.id,
                        unit_code: shown.then(|| u.code.clone()),
                        unit_name: shown.then(|| u.name.clone()),
                        from: s.from,
                        to: s.to,
                    })
                })
                .collect())
        })
    })
    .await?;
    Ok(web::Json(spells))
}

#[utoipa::path(delete, path = "/api/v1/staff/{id}/units/last", tag = "staff",
    responses((status = 200, body = StaffView, description = "the person is back in the unit they were in before"),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[delete("/staff/{id}/units/last")]
pub async fn undo_transfer(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<StaffView>, ApiError> {
    let id = id.into_inner();
    let read = auth.can(Action::ReadStaff);
    let write = auth.can(Action::WriteStaff);
    let grant = auth.can(Action::ManageUsers);
    let actor = auth.id();
    let own = auth.actor.staff_id == Some(id);
    let row = blocking(&state, move |db: &Db| {
        db.write(|c| {
            let (current, path) = super::staff::locked(c, &read, id)?;
            let Some(last) = crate::db::moves::last(c, &current)? else {
                return Err(ApiError::Conflict {
                    detail: "the person has no transfer to undo".into(),
                    errors: Default::default(),
                });
            };
            // As for the transfer itself: the roles to move people out of the unit they
            // are in and into the one they go back to.
            let back = crate::db::units::find(c, last.from_unit_id)?.ok_or(ApiError::NotFound)?;
            if !write.subtree(&path) || !write.subtree(&back.path) {
                return Err(ApiError::Forbidden(
                    "undoing a transfer needs the admin or hr role on both units",
                ));
            }
            // One's own unit is for another administrator or HR officer to change, as
            // in PATCH /staff/{id}.
            if own {
                return Err(ApiError::Forbidden(
                    "your own unit is for another administrator or HR officer to change",
                ));
            }
            let row = crate::db::moves::undo_last(c, Some(actor), &last, &grant)?;
            // The days from the transfer on were judged under the unit it named: they go
            // back to the unit the person is in again.
            // Two years back at most, as every change (an older transfer, recorded
            // before the limit, keeps its older register days).
            let now = local_now();
            let floor =
                now.date() - chrono::Duration::days(crate::domain::attendance::DATES_BACK_DAYS);
            // Read under the lock the re-derivation holds (as in PATCH /staff/{id}).
            crate::db::advisory_lock(c, crate::db::LockClass::Attendance, row.province_id)?;
            let people = crate::db::attendance::people(c, &[row.id])?;
            let from = last.moved_on.max(floor);
            crate::db::attendance::rederive(c, &people, from, now.date(), now)?;
            Ok(row)
        })
    })
    .await?;
    // The cached accounts may hold the person's unit.
    state.actors.clear();
    Ok(web::Json(row.into()))
}
