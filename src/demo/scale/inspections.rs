//! The inspection visits and citizens' survey answers of a generated province-year.
//! Visits land on units with people, a few a working day; each finds up to four things
//! about members of the unit (never its head). Findings older than a fortnight are
//! concluded and closed — seven in ten upheld, and then in the violation register as an
//! upheld finding is — while the newer ones wait for, or have, the person's explanation.
//! About six in ten finished dossiers get a survey answer from the citizen.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::super::activity::mix;
use crate::db::AnyConnection;
use crate::db::inspections::{FindingFields, SOURCE_INSPECTION};
use crate::db::schema::{findings, inspections, surveys, violations};
use crate::db::surveys::NewSurvey;
use crate::db::units::UnitRow;
use crate::demo::DemoError;
use crate::domain::attendance::to_utc;

/// What inspectors find, with how often (weights) and the description they write.
const FINDINGS: &[(&str, u64, &str)] = &[
    ("no_badge", 30, "Không đeo thẻ công chức trong giờ làm việc"),
    (
        "leave_office",
        20,
        "Vắng mặt tại phòng làm việc không có lý do",
    ),
    ("private_work", 15, "Làm việc riêng trong giờ làm việc"),
    ("dress", 10, "Trang phục không đúng quy định"),
    ("smoking", 10, "Hút thuốc lá trong phòng làm việc"),
    (
        "conduct",
        8,
        "Thái độ giao tiếp với người dân chưa đúng mực",
    ),
    ("overdue_task", 5, "Để quá hạn nhiệm vụ được giao"),
    ("alcohol", 2, "Sử dụng rượu, bia trong giờ nghỉ trưa"),
];

/// Days after a visit by which its findings are concluded and the visit closed.
const CONCLUDED_AFTER: i64 = 14;

/// One visit: which of the units with people (an index into that list), its kind, the
/// minutes after 07:30 it began, and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitSpec {
    pub unit: usize,
    pub kind: &'static str,
    pub start_minutes: i64,
    pub findings: Vec<FindingSpec>,
}

/// One finding: a hash picking the member, the violation, and minutes into the visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingSpec {
    pub member: u64,
    pub code: &'static str,
    pub description: &'static str,
    pub minutes: i64,
    /// Whether the team upholds it, once concluded.
    pub upheld: bool,
}

/// The visits of a working day over `units` units with people: about `per_day`.
pub fn day_visits(units: usize, day: NaiveDate, per_day: u64) -> Vec<VisitSpec> {
    if units == 0 {
        return Vec::new();
    }
    let seed = mix(day.num_days_from_ce() as u64, 91);
    // At least one visit a working day, `per_day` or one more or fewer.
    let n = (per_day + seed % 3).saturating_sub(1).max(1);
    let total: u64 = FINDINGS.iter().map(|(_, w, _)| w).sum();
    (0..n)
        .map(|i| {
            let h = mix(seed, i);
            let found = (0..h % 5)
                .map(|f| {
                    let r = mix(h, f + 10);
                    let mut pick = r % total;
                    let (code, _, description) = FINDINGS
                        .iter()
                        .find(|(_, w, _)| {
                            let hit = pick < *w;
                            pick = pick.saturating_sub(*w);
                            hit
                        })
                        .copied()
                        .unwrap_or(FINDINGS[0]);
                    FindingSpec {
                        member: mix(r, 3),
                        code,
                        description,
                        minutes: 10 + (r >> 20) as i64 % 150,
                        upheld: mix(r, 4) % 10 < 7,
                    }
                })
                .collect();
            VisitSpec {
                unit: (h % units as u64) as usize,
                kind: ["surprise", "surprise", "scheduled", "thematic"][((h >> 4) % 4) as usize],
                start_minutes: ((h >> 12) % 90) as i64,
                findings: found,
            }
        })
        .collect()
}

/// Counts of what `write_visits` wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub inspections: u64,
    pub findings: u64,
}

/// Writes a day's visits to `targets` (a unit with people, and its members, head
/// first), as of `now` (local). Seed rows, not audited one by one.
pub fn write_visits(
    c: &mut AnyConnection,
    targets: &[(&UnitRow, &[i64])],
    day: NaiveDate,
    per_day: u64,
    now: NaiveDateTime,
) -> Result<Written, DemoError> {
    let created = crate::db::now();
    let concluded = (now.date() - day).num_days() > CONCLUDED_AFTER;
    let mut written = Written::default();
    for v in day_visits(targets.len(), day, per_day) {
        let (unit, members) = targets[v.unit];
        let start =
            day.and_hms_opt(7, 30, 0).unwrap_or_default() + Duration::minutes(v.start_minutes);
        let inspection: i64 = diesel::insert_into(inspections::table)
            .values((
                inspections::province_id.eq(unit.province_id),
                inspections::unit_id.eq(unit.id),
                inspections::kind.eq(v.kind),
                inspections::record_no.eq(format!("BB-{}-{}", unit.code, day.format("%y%m%d"))),
                inspections::started_at.eq(to_utc(start)),
                inspections::ended_at.eq(to_utc(start + Duration::hours(3))),
                inspections::present_count.eq(members.len() as i32),
                inspections::total_count.eq(members.len() as i32),
                inspections::refused_to_sign.eq(false),
                inspections::status.eq(if concluded { "closed" } else { "open" }),
                inspections::closed_with_open_findings.eq(false),
                inspections::created_at.eq(created),
                inspections::updated_at.eq(created),
            ))
            .returning(inspections::id)
            .get_result(c)?;
        written.inspections += 1;
        // Heads are kept out of the findings: the head answers for the unit.
        let Some(ordinary) = members.get(1..).filter(|m| !m.is_empty()) else {
            continue;
        };
        for f in &v.findings {
            let staff_id = ordinary[(f.member % ordinary.len() as u64) as usize];
            let observed = to_utc(start + Duration::minutes(f.minutes));
            let outcome = concluded.then_some(if f.upheld { "upheld" } else { "dismissed" });
            let explained = concluded || (now.date() - day).num_days() > 5;
            let fields = FindingFields {
                province_id: unit.province_id,
                inspection_id: inspection,
                unit_id: unit.id,
                staff_id: Some(staff_id),
                violation_code: f.code.into(),
                observed_at: observed,
                description: f.description.into(),
                severity: Some("less_serious".into()),
                status: match (outcome, explained) {
                    (Some(_), _) => "closed",
                    (None, true) => "explained",
                    (None, false) => "explanation_requested",
                }
                .into(),
                explanation_due_at: Some(observed + Duration::days(5)),
                explanation: explained.then(|| "Tôi xin rút kinh nghiệm.".into()),
                explained_at: explained.then(|| observed + Duration::days(2)),
                explained_by: None,
                outcome: outcome.map(Into::into),
                action: None,
                action_due_at: None,
                discipline_form: None,
                decided_at: outcome.map(|_| observed + Duration::days(CONCLUDED_AFTER)),
                decided_by: None,
                client_ref: None,
            };
            let id: i64 = diesel::insert_into(findings::table)
                .values((
                    &fields,
                    findings::created_at.eq(created),
                    findings::updated_at.eq(created),
                ))
                .returning(findings::id)
                .get_result(c)?;
            written.findings += 1;
            // What `update_finding` keeps in the register for an upheld finding, entered
            // when the team decided: the register's time of entry is what makes a finding
            // news to the repeat detection, and a load stamping it with its own time made
            // every older finding news on the night after (all of its person's notices
            // read again by the sweep).
            if let (Some("upheld"), Some(decided)) = (outcome, fields.decided_at) {
                diesel::insert_into(violations::table)
                    .values((
                        violations::province_id.eq(unit.province_id),
                        violations::unit_id.eq(unit.id),
                        violations::staff_id.eq(Some(staff_id)),
                        violations::code.eq(f.code),
                        violations::day.eq(day),
                        violations::minutes.eq(None::<i32>),
                        violations::source.eq(SOURCE_INSPECTION),
                        violations::source_ref.eq(id.to_string()),
                        violations::detail.eq(Some(f.description)),
                        violations::created_at.eq(decided),
                        violations::updated_at.eq(decided),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(written)
}

/// The survey answer a citizen gives for a finished dossier (`seed` tells it from the
/// others), if any: score 1–5 with most satisfied, submitted within an hour of the result.
pub fn survey_of(seed: u64, finished: NaiveDateTime) -> Option<(i32, NaiveDateTime)> {
    let h = mix(seed, 77);
    if h % 10 >= 6 {
        return None;
    }
    let score = match (h >> 8) % 100 {
        0..=49 => 5,
        50..=79 => 4,
        80..=91 => 3,
        92..=96 => 2,
        _ => 1,
    };
    Some((
        score,
        finished + Duration::minutes(5 + ((h >> 16) % 55) as i64),
    ))
}

/// Survey answers in multi-row inserts (bounded for SQLite's bound-value limit).
pub fn insert_surveys(c: &mut AnyConnection, rows: &[NewSurvey]) -> Result<(), DemoError> {
    for chunk in rows.chunks(1000) {
        match c {
            AnyConnection::Postgresql(c) => diesel::insert_into(surveys::table)
                .values(chunk)
                .execute(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(surveys::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_find_the_usual_things() {
        let mut visits = 0;
        let mut found = Vec::new();
        for d in NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .iter_days()
            .take(100)
        {
            let day = day_visits(500, d, 3);
            assert_eq!(day, day_visits(500, d, 3), "deterministic");
            assert!(day.iter().all(|v| v.unit < 500));
            visits += day.len();
            found.extend(day.into_iter().flat_map(|v| v.findings));
        }
        assert!((250..=350).contains(&visits), "{visits}");
        assert!((found.len() as f64 / visits as f64 - 2.0).abs() < 0.3);
        let upheld = found.iter().filter(|f| f.upheld).count() * 100 / found.len();
        assert!((60..=80).contains(&upheld), "{upheld}");
        let badges = found.iter().filter(|f| f.code == "no_badge").count() * 100 / found.len();
        assert!((20..=40).contains(&badges), "{badges}");
        assert!(day_visits(0, NaiveDate::MIN, 3).is_empty());
    }

    #[test]
    fn most_citizens_answering_are_satisfied() {
        let at = NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let answers: Vec<_> = (0..10_000).filter_map(|d| survey_of(d, at)).collect();
        assert!((5_500..6_500).contains(&answers.len()), "{}", answers.len());
        let satisfied = answers.iter().filter(|(s, _)| *s >= 4).count() * 100 / answers.len();
        assert!((75..=85).contains(&satisfied), "{satisfied}");
        assert!(
            answers
                .iter()
                .all(|(_, t)| *t > at && *t <= at + Duration::hours(1))
        );
    }
}
