//! The demo province: a realistic tree, about 200 staff and one account per role, loaded
//! idempotently by `congvu demo` and `congvu serve --demo`.

pub mod activity;
pub mod data;
pub mod dossiers;
pub mod evaluation;
pub mod inspections;
pub mod onestop;
pub mod scale;

use std::collections::HashMap;

use crate::auth::password;
use crate::db::staff::{self, StaffFields, StaffRow};
use crate::db::units::{self, UnitRow};
use crate::db::users::{self, NewGrant, NewUser};
use crate::db::{AnyConnection, Db};
use crate::domain::codes::Role;
use crate::domain::dossiers::LateRatioFormula;

/// The password of every demo account. Demo data is for trying congvu, never production.
pub const DEMO_PASSWORD: &str = "congvu-demo";

/// A demo account: its role, the unit it is held on, and the staff record it is linked to.
pub struct DemoAccount {
    pub username: &'static str,
    pub role: Role,
    pub unit_code: String,
    /// Link the account to the head of `unit_code` (true) or to an ordinary member of it.
    pub link: Option<bool>,
}

pub fn accounts() -> Vec<DemoAccount> {
    let root = data::PROVINCE_CODE.to_owned();
    let snv = format!("{root}-SNV");
    vec![
        DemoAccount {
            username: "demo.admin",
            role: Role::Admin,
            unit_code: root.clone(),
            link: None,
        },
        DemoAccount {
            username: "demo.hr",
            role: Role::Hr,
            unit_code: root.clone(),
            link: None,
        },
        DemoAccount {
            username: "demo.head",
            role: Role::UnitHead,
            unit_code: snv.clone(),
            link: Some(true),
        },
        DemoAccount {
            username: "demo.inspector",
            role: Role::Inspector,
            unit_code: root,
            link: None,
        },
        DemoAccount {
            username: "demo.staff",
            role: Role::Staff,
            unit_code: format!("{snv}-CCHC"),
            link: Some(false),
        },
    ]
}

#[derive(Debug)]
pub struct DemoSummary {
    pub already_loaded: bool,
    pub units: usize,
    pub staff: usize,
    pub province_id: i64,
    pub checkins: usize,
    pub dossiers: u64,
    pub inspections: usize,
    pub findings: usize,
    pub evaluations: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("{0}")]
    Data(String),
}

/// Whether the database holds no unit yet (`serve --demo` loads the demo only then).
pub fn database_is_empty(db: &Db) -> Result<bool, DemoError> {
    use diesel::prelude::*;
    db.read(|c| {
        let n: i64 = crate::db::schema::units::table.count().get_result(c)?;
        Ok(n == 0)
    })
}

/// Whether the demo province is in the database.
pub fn is_loaded(db: &Db) -> Result<bool, DemoError> {
    db.read(|c| Ok(find_root(c)?.is_some()))
}

fn find_root(c: &mut AnyConnection) -> Result<Option<UnitRow>, DemoError> {
    Ok(units::find_by_code(c, data::PROVINCE_CODE)?
        .into_iter()
        .find(|u| u.parent_id.is_none()))
}

/// Loads the demo province unless it is already there. Runs in one transaction. Its
/// evaluations count late steps under `formula`, the province's own convention
/// (`DossierSettings::formula_for` the demo's code), as a run through the API would.
pub fn load(db: &Db, formula: LateRatioFormula) -> Result<DemoSummary, DemoError> {
    let province = data::province();
    // Hash outside the write transaction: argon2 is deliberately slow.
    let hash = password::hash(DEMO_PASSWORD).map_err(|e| DemoError::Data(e.to_string()))?;
    db.write(|c| {
        if let Some(root) = find_root(c)? {
            return Ok(DemoSummary {
                already_loaded: true,
                units: 0,
                staff: 0,
                province_id: root.id,
                checkins: 0,
                dossiers: 0,
                inspections: 0,
                findings: 0,
                evaluations: 0,
            });
        }
        let mut by_code: HashMap<String, UnitRow> = HashMap::new();
        for u in &province.units {
            let parent = match &u.parent_code {
                Some(code) => Some(by_code.get(code).ok_or_else(|| {
                    DemoError::Data(format!("demo unit {} before its parent", u.code))
                })?),
                None => None,
            };
            // Judged all along: the demo's history is its register.
            let row = units::insert(c, None, parent, &u.code, &u.name, u.kind, None)?;
            by_code.insert(u.code.clone(), row);
        }
        let mut staff_by_unit: HashMap<String, Vec<StaffRow>> = HashMap::new();
        let mut staff_rows: Vec<StaffRow> = Vec::new();
        for s in &province.staff {
            let unit = by_code
                .get(&s.unit_code)
                .ok_or_else(|| DemoError::Data(format!("demo staff {} in unknown unit", s.code)))?;
            let row = staff::insert(
                c,
                None,
                &StaffFields {
                    province_id: unit.province_id,
                    unit_id: unit.id,
                    code: s.code.clone(),
                    full_name: s.full_name.clone(),
                    category: s.category.to_owned(),
                    position: s.position.clone(),
                    email: s.email.clone(),
                    is_head: s.is_head,
                    joined_on: Some(s.joined_on),
                    left_on: None,
                },
            )?;
            staff_rows.push(row.clone());
            staff_by_unit
                .entry(s.unit_code.clone())
                .or_default()
                .push(row);
        }
        let mut user_ids: HashMap<&'static str, i64> = HashMap::new();
        for account in accounts() {
            let unit = by_code.get(&account.unit_code).ok_or_else(|| {
                DemoError::Data(format!(
                    "demo account on unknown unit {}",
                    account.unit_code
                ))
            })?;
            let staff_id = account.link.and_then(|head| {
                staff_by_unit
                    .get(&account.unit_code)
                    .and_then(|list| list.iter().find(|s| s.is_head == head))
                    .map(|s| s.id)
            });
            let (user, _) = users::insert(
                c,
                None,
                &NewUser {
                    username: account.username,
                    password_hash: &hash,
                    staff_id,
                    province_id: Some(unit.province_id),
                },
                &[NewGrant {
                    role: account.role,
                    unit_id: Some(unit.id),
                    province_id: Some(unit.province_id),
                }],
            )?;
            user_ids.insert(account.username, user.id);
        }
        let root =
            find_root(c)?.ok_or_else(|| DemoError::Data("demo root missing after load".into()))?;
        transfer_one(c, &by_code, &mut staff_by_unit)?;
        let events = load_attendance(c, &root, &staff_rows)?;
        let dossier_count = load_dossiers(c, &province.staff, &by_code)?;
        let actor = |name: &str| {
            user_ids
                .get(name)
                .copied()
                .ok_or_else(|| DemoError::Data(format!("demo account {name} missing")))
        };
        let actors = inspections::Actors {
            inspector: actor("demo.inspector")?,
            hr: actor("demo.hr")?,
        };
        let feed_count = load_feed(c, &by_code, &staff_by_unit, &actor)?;
        let today = crate::domain::attendance::to_local(crate::db::now()).date();
        let (inspection_count, finding_count, _) =
            inspections::load(c, &actors, &by_code, &staff_by_unit, today)?;
        // Staff records as they stand after the inspections (nothing there changes them).
        let evaluations = evaluation::load(c, &root, &by_code, &staff_by_unit, actors.hr, formula)?;
        crate::db::audit::record(
            c,
            crate::db::audit::Entry::<(), _> {
                actor_user_id: None,
                entity: "demo",
                entity_id: root.id,
                action: "load",
                province_id: Some(root.id),
                unit_id: Some(root.id),
                before: None,
                after: Some(&serde_json::json!({
                    "units": province.units.len(),
                    "staff": province.staff.len(),
                    "checkins": events,
                    "dossiers": dossier_count,
                    "feed_dossiers": feed_count,
                    "inspections": inspection_count,
                    "findings": finding_count,
                    "evaluations": evaluations,
                })),
            },
        )?;
        Ok(DemoSummary {
            already_loaded: false,
            units: province.units.len(),
            staff: province.staff.len(),
            province_id: root.id,
            checkins: events,
            dossiers: dossier_count + feed_count,
            inspections: inspection_count,
            findings: finding_count,
            evaluations,
        })
    })
}

/// How long ago the demo's transfer took effect: inside the two months of check-ins, so
/// that both units' timesheets of this month or the last show the person.
const TRANSFER_DAYS_AGO: i64 = 20;

/// One transfer, so that a person's units over time (`GET /staff/{id}/units`) and the
/// timesheets of the two units show it: the last officer of the civil-servants division
/// of Sở Nội vụ moved to its organisation division. Their days before it are judged under
/// the old division when the register is derived below.
fn transfer_one(
    c: &mut AnyConnection,
    by_code: &HashMap<String, UnitRow>,
    staff_by_unit: &mut HashMap<String, Vec<StaffRow>>,
) -> Result<(), DemoError> {
    let code = |suffix: &str| format!("{}-{suffix}", data::PROVINCE_CODE);
    let (from, to) = (code("SNV-CCVC"), code("SNV-TCBC"));
    let unit = by_code
        .get(&to)
        .ok_or_else(|| DemoError::Data(format!("demo unit {to} missing")))?;
    let person = staff_by_unit
        .get_mut(&from)
        .and_then(Vec::pop)
        .ok_or_else(|| DemoError::Data(format!("demo unit {from} has nobody to move")))?;
    let mut fields = person.fields();
    fields.unit_id = unit.id;
    let moved = staff::update(c, None, &person, &fields)?;
    let today = crate::domain::attendance::to_local(crate::db::now()).date();
    crate::db::moves::record(
        c,
        None,
        &crate::db::moves::Transfer {
            staff_id: moved.id,
            province_id: moved.province_id,
            from_unit_id: person.unit_id,
            to_unit_id: unit.id,
            moved_on: today - chrono::Duration::days(TRANSFER_DAYS_AGO),
            posts: crate::db::posts::Posts::default(),
        },
        crate::db::now(),
    )?;
    staff_by_unit.entry(to).or_default().push(moved);
    Ok(())
}

/// Timetables, this year's calendar, leave and two months of check-ins; then the
/// violation register for those days. Returns the number of events.
fn load_attendance(
    c: &mut AnyConnection,
    root: &UnitRow,
    staff_rows: &[StaffRow],
) -> Result<usize, DemoError> {
    use crate::db::{attendance, calendar, checkins, leaves};
    use crate::domain::attendance::{to_local, to_utc};
    use chrono::Datelike;

    let now = to_local(crate::db::now());
    let today = now.date();
    insert_timetables(c, root, today, None)?;
    let plan = activity::activity(staff_rows.len(), today);
    let mut years = vec![plan.from.year(), today.year()];
    years.dedup();
    for year in years {
        for e in activity::calendar(year) {
            calendar::upsert(c, None, None, e.date, e.kind, &e.name)?;
        }
    }
    for l in &plan.leaves {
        let person = &staff_rows[l.person];
        leaves::insert(
            c,
            person.unit_id,
            &leaves::NewLeave {
                province_id: person.province_id,
                staff_id: person.id,
                from_date: l.from,
                to_date: l.to,
                kind: l.kind.code(),
                half_day: None,
                reason: Some("Dữ liệu mẫu"),
                status: crate::domain::codes::LeaveStatus::Approved,
                requested_by: None,
            },
        )?;
    }
    let created = crate::db::now();
    let rows: Vec<checkins::NewCheckin> = plan
        .events
        .iter()
        .map(|e| {
            let person = &staff_rows[e.person];
            checkins::NewCheckin {
                province_id: person.province_id,
                staff_id: person.id,
                at: to_utc(e.at),
                local_date: e.at.date(),
                direction: e.direction.map(|d| d.code().to_owned()),
                source: "device".into(),
                device_id: format!("KIOSK-{}", person.unit_id),
                idempotency_key: None,
                reason: None,
                created_by: None,
                created_at: created,
            }
        })
        .collect();
    let n = checkins::insert_seed(c, &rows)?;
    let people = attendance::people_below(c, &root.path)?;
    attendance::rederive(c, &people, plan.from, today, now)?;
    Ok(n)
}

/// A year of one-stop dossiers through the real import, and the desks' surveys.
fn load_dossiers(
    c: &mut AnyConnection,
    staff: &[data::DemoStaff],
    units_by_code: &HashMap<String, UnitRow>,
) -> Result<u64, DemoError> {
    use crate::domain::access::Visibility;
    use crate::domain::attendance::{to_local, to_utc};

    let now = to_local(crate::db::now());
    let lines: Vec<(u64, crate::import::dossiers::RawLine)> =
        dossiers::lines(staff, now.date(), 12)
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i as u64 + 2, l))
            .collect();
    let everywhere = Visibility {
        all: true,
        ..Visibility::default()
    };
    let report = crate::import::dossiers::import_lines(c, &everywhere, (None, None), &lines, now)?;
    if let Some(first) = report.rejected.first() {
        return Err(DemoError::Data(format!(
            "demo dossier line {} rejected: {:?}",
            first.line, first.errors
        )));
    }
    let created = crate::db::now();
    for a in dossiers::answers(now.date()) {
        let Some(unit) = units_by_code.get(&a.unit_code) else {
            continue;
        };
        crate::db::surveys::insert(
            c,
            &crate::db::surveys::NewSurvey {
                province_id: unit.province_id,
                unit_id: unit.id,
                staff_id: None,
                dossier_code: None,
                submitted_at: to_utc(a.at),
                satisfied: crate::domain::dossiers::satisfied(None, Some(a.score), 4),
                score: Some(a.score),
                comment: None,
                created_by: None,
                created_at: created,
                idempotency_key: None,
            },
        )?;
    }
    Ok(report.created)
}

/// The national-portal feed of the Department of Home Affairs, whose head and staff
/// member have demo accounts: demo.staff disputes, demo.head decides.
fn load_feed(
    c: &mut AnyConnection,
    by_code: &HashMap<String, UnitRow>,
    staff_by_unit: &HashMap<String, Vec<StaffRow>>,
    actor: &dyn Fn(&str) -> Result<i64, DemoError>,
) -> Result<u64, DemoError> {
    let snv = format!("{}-SNV", data::PROVINCE_CODE);
    let missing = |what: &str| DemoError::Data(format!("demo {what} missing"));
    let officer = staff_by_unit
        .get(&format!("{snv}-CCHC"))
        .and_then(|l| l.iter().find(|s| !s.is_head))
        .ok_or_else(|| missing("officer of SNV-CCHC"))?;
    let head = staff_by_unit
        .get(&snv)
        .and_then(|l| l.iter().find(|s| s.is_head))
        .ok_or_else(|| missing("head of SNV"))?;
    let namesake_unit = by_code
        .get(&format!("{snv}-VP"))
        .ok_or_else(|| missing("SNV-VP"))?
        .id;
    let account = format!("motcua.{}", officer.code.to_lowercase());
    let cast = onestop::Cast {
        unit_code: &snv,
        officer,
        account: &account,
        head,
    };
    onestop::load(
        c,
        &cast,
        namesake_unit,
        actor("demo.admin")?,
        actor("demo.staff")?,
        actor("demo.head")?,
    )
}

/// The demo's summer and winter timetables for the whole province, Monday to Friday;
/// the earliest starts no later than `from` when given (so that generated history is
/// covered, and no two overlap).
pub(crate) fn insert_timetables(
    c: &mut AnyConnection,
    root: &UnitRow,
    today: chrono::NaiveDate,
    from: Option<chrono::NaiveDate>,
) -> Result<(), DemoError> {
    use crate::db::schedules;
    let mut timetables = activity::schedules(today);
    timetables.sort_by_key(|s| s.valid_from);
    for (i, s) in timetables.iter().enumerate() {
        schedules::insert(
            c,
            None,
            &schedules::ScheduleFields {
                province_id: root.id,
                unit_id: root.id,
                valid_from: match from {
                    Some(f) if i == 0 => s.valid_from.min(f),
                    _ => s.valid_from,
                },
                valid_to: s.valid_to,
                weekdays: "1,2,3,4,5".into(),
                sessions: crate::domain::attendance::format_sessions(&s.sessions),
                grace_minutes: 5,
                punch_mode: crate::domain::codes::PunchMode::Daily.code().into(),
            },
        )?;
    }
    Ok(())
}

/// The accounts as printed for people trying congvu.
pub fn describe_accounts() -> String {
    let mut out = String::from("Demo accounts (password for all: ");
    out.push_str(DEMO_PASSWORD);
    out.push_str(")\n");
    for a in accounts() {
        out.push_str(&format!(
            "  {:<16} {:<10} on {}\n",
            a.username,
            a.role.code(),
            a.unit_code
        ));
    }
    out
}
