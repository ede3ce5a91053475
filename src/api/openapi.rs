//! The OpenAPI document, generated from the handlers' annotations, and the Swagger UI at
//! /docs. The UI's assets are compiled into the binary: government networks are often
//! offline, so nothing is fetched from a CDN.

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::{
    attendance, audit, auth, calendar, checkins, discipline, disputes, dossiers, evaluations,
    evidence, findings, health, inspections, leaves, notifications, onestop, policies, reform,
    schedules, scores, staff, submissions, surveys, timesheet, transfers, units, users,
    violation_types,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "congvu",
        description = "Civil-service discipline for Vietnamese provincial administrations: \
                       units, staff, accounts, attendance, dossiers, inspections and ratings. \
                       Errors are application/problem+json (RFC 9457).",
    ),
    paths(
        auth::login, auth::logout, auth::me,
        units::create_unit, units::list_units, units::get_unit, units::update_unit,
        staff::create_staff, staff::list_staff, staff::get_staff, staff::update_staff,
        transfers::staff_units, transfers::undo_transfer,
        users::create_user, users::list_users, users::get_user, users::update_user,
        audit::list_audit,
        schedules::create_schedule, schedules::list_schedules, schedules::get_schedule, schedules::update_schedule,
        calendar::add_days, calendar::list_days, calendar::delete_day,
        leaves::create_leave, leaves::list_leaves, leaves::get_leave,
        leaves::approve_leave, leaves::reject_leave, leaves::cancel_leave,
        checkins::create_checkin, checkins::create_batch, checkins::void_checkin, checkins::list_checkins,
        attendance::attendance, attendance::overview, attendance::list_violations,
        timesheet::timesheet,
        dossiers::import_dossiers, dossiers::list_dossiers, dossiers::overdue, dossiers::dossier_stats,
        surveys::create_survey, surveys::import_surveys, surveys::satisfaction,
        violation_types::list_types, violation_types::create_type,
        inspections::create_inspection, inspections::list_inspections, inspections::get_inspection,
        inspections::close_inspection, submissions::submit,
        findings::add_finding, findings::explain, findings::decide, findings::close_finding,
        findings::withdraw_finding,
        findings::overdue_findings,
        evidence::upload, evidence::list, evidence::download,
        discipline::create_decision, discipline::list_decisions,
        policies::list_policies, policies::get_policy, policies::create_policy,
        evaluations::run, evaluations::list, evaluations::decide,
        reform::get_reform, reform::put_reform, reform::accountability,
        scores::save, scores::batch, scores::list,
        notifications::list_notifications, notifications::get_notification,
        notifications::retry_notification, notifications::acknowledge_notification,
        onestop::post_dossiers, onestop::post_progress, onestop::unmatched, onestop::list_handles,
        onestop::add_handle, onestop::remove_handle, onestop::attribute_step,
        disputes::raise, disputes::list, disputes::get_one, disputes::decide, disputes::upload,
        disputes::list_evidence, disputes::download,
        health::healthz, health::readyz, health::metrics,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Log in and see who you are"),
        (name = "units", description = "The unit tree of a province"),
        (name = "staff", description = "Cán bộ, công chức, viên chức"),
        (name = "users", description = "Accounts and their roles"),
        (name = "audit", description = "Who changed what, and when"),
        (name = "attendance", description = "Schedules, calendar, leave, check-ins, attendance, timesheets and the violation register"),
        (name = "dossiers", description = "One-stop dossiers, late ratios and satisfaction"),
        (name = "inspections", description = "Inspections, findings and their workflow; the violation catalogue"),
        (name = "evaluation", description = "Rating policies, annual evaluations and HR's decisions"),
        (name = "onestop", description = "The national portal's feed (DongBoHoSoMC, CapNhatTienDoHoSoMC) and the mapping of its handlers to staff"),
        (name = "disputes", description = "Officers' disputes of late dossier steps, decided by their heads"),
        (name = "notifications", description = "Emails to heads about repeated violations, escalations and weekly digests, with their delivery state"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(docs_redirect)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", ApiDoc::openapi()));
}

#[get("/docs")]
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
