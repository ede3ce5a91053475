//! A person's units over time. The staff record holds the unit a person is in now; each
//! transfer leaves a move behind that says which unit they were in on the days before it.
//! A day is judged under the unit the person was in on that day: that unit's schedule,
//! that unit's timesheet, that unit in the violation register.

use chrono::NaiveDate;

use super::access::Grant;
use super::attendance::DATES_BACK_DAYS;
use super::codes::Role;
use super::units::in_subtree;

/// A spell in an earlier unit: the person was in `unit` on the days before `until`, back to
/// the previous spell's `until` (or to their first day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier<U> {
    pub until: NaiveDate,
    pub unit: U,
}

/// The unit a person was in on `day`, given their earlier spells in order of `until` and
/// the unit they are in now.
pub fn unit_on<'a, U>(earlier: &'a [Earlier<U>], current: &'a U, day: NaiveDate) -> &'a U {
    earlier
        .iter()
        .find(|e| day < e.until)
        .map_or(current, |e| &e.unit)
}

/// A spell in one unit, days inclusive; `from` is None for the first (since the person's
/// record began), `to` None for the one still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell<U> {
    pub unit: U,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A person's spells, oldest first, the current one last.
pub fn spells<U: Clone>(earlier: &[Earlier<U>], current: &U) -> Vec<Spell<U>> {
    let mut from = None;
    let mut out = Vec::with_capacity(earlier.len() + 1);
    for e in earlier {
        out.push(Spell {
            unit: e.unit.clone(),
            from,
            to: e.until.pred_opt(),
        });
        from = Some(e.until);
    }
    out.push(Spell {
        unit: current.clone(),
        from,
        to: None,
    });
    out
}

/// Whether `spells` put the person in `unit` on some day of `first..=last`.
pub fn in_unit_during<U: PartialEq>(
    spells: &[Spell<U>],
    unit: &U,
    first: NaiveDate,
    last: NaiveDate,
) -> bool {
    spells.iter().any(|s| {
        s.unit == *unit && s.from.is_none_or(|f| f <= last) && s.to.is_none_or(|t| t >= first)
    })
}

/// Why a transfer taking effect on `moved_on` cannot be recorded, if it cannot. It is not
/// in the future: the staff record says where the person is now, so a transfer is
/// recorded on or after its day. It is at most two years back, as far as a change
/// re-derives the register (`DATES_BACK_DAYS`): older days would keep their old unit
/// there. It comes after the person's last move: every spell has a day at least, and a
/// move is not slipped in before days already judged under the next unit (a wrong one is
/// undone, then recorded again).
pub fn move_conflict(
    moved_on: NaiveDate,
    today: NaiveDate,
    last_move: Option<NaiveDate>,
) -> Option<&'static str> {
    if moved_on > today {
        return Some("a transfer is recorded on or after the day it takes effect");
    }
    if moved_on < today - chrono::Duration::days(DATES_BACK_DAYS) {
        return Some("a transfer is recorded at most two years back");
    }
    if last_move.is_some_and(|last| moved_on <= last) {
        return Some("must be after the person's last transfer");
    }
    None
}

/// The roles a person's account holds after a transfer out of the unit `from` into the
/// unit `to` (ids and paths), given those it holds before. The roles held on the unit left
/// were posts there: its `unit_head` role ends (moving even into a unit below it, one no
/// longer runs it), the `staff` role follows the person to the new unit, and any other
/// role held there (hr, admin, inspector) ends unless it reaches the new unit too (a
/// department's hr moving into one of its divisions). Roles held on other units (above,
/// below, elsewhere: concurrent duties) or on no unit are the province's to give and stay.
pub fn grants_after_transfer(grants: &[Grant], from: (i64, &str), to: (i64, &str)) -> Vec<Grant> {
    let ((from_id, from_path), (to_id, to_path)) = (from, to);
    let mut after: Vec<Grant> = Vec::with_capacity(grants.len());
    for g in grants {
        let kept = if g.unit_id != Some(from_id) {
            g.clone()
        } else {
            match g.role {
                Role::Staff => Grant {
                    role: Role::Staff,
                    unit_id: Some(to_id),
                    unit_path: Some(to_path.to_owned()),
                },
                Role::UnitHead => continue,
                _ if in_subtree(to_path, from_path) => g.clone(),
                _ => continue,
            }
        };
        if !after.contains(&kept) {
            after.push(kept);
        }
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn earlier() -> Vec<Earlier<i64>> {
        vec![
            Earlier {
                until: d(2026, 3, 1),
                unit: 1,
            },
            Earlier {
                until: d(2026, 7, 15),
                unit: 2,
            },
        ]
    }

    #[test]
    fn the_move_day_belongs_to_the_new_unit() {
        let e = earlier();
        assert_eq!(*unit_on(&e, &3, d(2020, 1, 1)), 1);
        assert_eq!(*unit_on(&e, &3, d(2026, 2, 28)), 1);
        assert_eq!(*unit_on(&e, &3, d(2026, 3, 1)), 2);
        assert_eq!(*unit_on(&e, &3, d(2026, 7, 14)), 2);
        assert_eq!(*unit_on(&e, &3, d(2026, 7, 15)), 3);
        assert_eq!(*unit_on(&e, &3, d(2030, 1, 1)), 3);
    }

    #[test]
    fn no_moves_means_always_the_current_unit() {
        assert_eq!(*unit_on(&[], &7, d(2026, 1, 1)), 7);
        assert_eq!(
            spells(&[], &7),
            vec![Spell {
                unit: 7,
                from: None,
                to: None
            }]
        );
    }

    #[test]
    fn spells_run_from_move_to_the_day_before_the_next() {
        assert_eq!(
            spells(&earlier(), &3),
            vec![
                Spell {
                    unit: 1,
                    from: None,
                    to: Some(d(2026, 2, 28))
                },
                Spell {
                    unit: 2,
                    from: Some(d(2026, 3, 1)),
                    to: Some(d(2026, 7, 14))
                },
                Spell {
                    unit: 3,
                    from: Some(d(2026, 7, 15)),
                    to: None
                },
            ]
        );
    }

    #[test]
    fn in_a_unit_during_a_year_by_any_spell() {
        let all = spells(&earlier(), &3);
        let year = |y| (d(y, 1, 1), d(y, 12, 31));
        let (first, last) = year(2026);
        assert!(
            [1, 2, 3]
                .iter()
                .all(|u| in_unit_during(&all, u, first, last))
        );
        let (first, last) = year(2025);
        assert!(in_unit_during(&all, &1, first, last));
        assert!(!in_unit_during(&all, &2, first, last));
        assert!(!in_unit_during(&all, &3, first, last));
        // Back in unit 1 after a spell elsewhere: in it in 2025 by the first spell.
        let back = spells(&earlier(), &1);
        assert!(in_unit_during(&back, &1, first, last));
        // The spell's last day is in the period; the day after it is not.
        assert!(in_unit_during(&all, &2, d(2026, 7, 14), d(2026, 7, 14)));
        assert!(!in_unit_during(&all, &2, d(2026, 7, 15), d(2026, 12, 31)));
    }

    #[test]
    fn a_move_is_not_in_the_future_nor_before_the_last() {
        let today = d(2026, 12, 6);
        assert_eq!(move_conflict(today, today, None), None);
        assert_eq!(move_conflict(d(2026, 1, 1), today, None), None);
        assert!(move_conflict(d(2026, 12, 7), today, None).is_some());
        assert!(move_conflict(d(2026, 7, 15), today, Some(d(2026, 7, 15))).is_some());
        assert!(move_conflict(d(2026, 7, 1), today, Some(d(2026, 7, 15))).is_some());
        assert_eq!(
            move_conflict(d(2026, 7, 16), today, Some(d(2026, 7, 15))),
            None
        );
        let two_years = today - chrono::Duration::days(DATES_BACK_DAYS);
        assert_eq!(move_conflict(two_years, today, None), None);
        assert!(move_conflict(two_years.pred_opt().unwrap(), today, None).is_some());
    }

    fn held(role: Role, unit: Option<(i64, &str)>) -> Grant {
        Grant {
            role,
            unit_id: unit.map(|u| u.0),
            unit_path: unit.map(|u| u.1.to_owned()),
        }
    }

    #[test]
    fn a_transfer_ends_the_posts_of_the_unit_left_and_moves_the_staff_role() {
        // Province 1, department 4 with divisions 7 and 8; department 5.
        let grants = vec![
            held(Role::Staff, Some((7, "/1/4/7/"))),
            held(Role::UnitHead, Some((7, "/1/4/7/"))),
            held(Role::Hr, Some((7, "/1/4/7/"))),
            held(Role::Admin, Some((9, "/1/4/7/9/"))),
            held(Role::Inspector, Some((4, "/1/4/"))),
            held(Role::Admin, None),
            held(Role::UnitHead, Some((5, "/1/5/"))),
        ];
        let after = grants_after_transfer(&grants, (7, "/1/4/7/"), (8, "/1/4/8/"));
        assert_eq!(
            after,
            vec![
                held(Role::Staff, Some((8, "/1/4/8/"))),
                held(Role::Admin, Some((9, "/1/4/7/9/"))),
                held(Role::Inspector, Some((4, "/1/4/"))),
                held(Role::Admin, None),
                held(Role::UnitHead, Some((5, "/1/5/"))),
            ],
            "the posts of 7 end; roles on other units, below it too, stay"
        );
    }

    #[test]
    fn moving_down_keeps_a_role_that_reaches_the_new_unit_but_not_the_headship() {
        // From department 4 down into its division 7.
        let grants = vec![
            held(Role::Hr, Some((4, "/1/4/"))),
            held(Role::UnitHead, Some((4, "/1/4/"))),
            held(Role::Staff, Some((4, "/1/4/"))),
        ];
        assert_eq!(
            grants_after_transfer(&grants, (4, "/1/4/"), (7, "/1/4/7/")),
            vec![
                held(Role::Hr, Some((4, "/1/4/"))),
                held(Role::Staff, Some((7, "/1/4/7/"))),
            ]
        );
        // Up from division 7 to its department 4, already holding the staff role there.
        let grants = vec![
            held(Role::UnitHead, Some((7, "/1/4/7/"))),
            held(Role::Staff, Some((4, "/1/4/"))),
            held(Role::Staff, Some((7, "/1/4/7/"))),
        ];
        assert_eq!(
            grants_after_transfer(&grants, (7, "/1/4/7/"), (4, "/1/4/")),
            vec![held(Role::Staff, Some((4, "/1/4/")))],
            "the staff role moved onto one already held is held once"
        );
    }
}
