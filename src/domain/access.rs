//! Who may see and change what. A role is held on a unit and reaches the unit's whole
//! subtree; a role held on no unit reaches every unit. The `staff` role reaches only the
//! person themself and their own unit.

use super::codes::Role;
use super::units::in_subtree;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadUnits,
    WriteUnits,
    ReadStaff,
    WriteStaff,
    ManageUsers,
    ReadAudit,
    /// Approve, reject, or enter on someone's behalf, leave and business trips.
    DecideLeave,
    /// Send check-in events for someone (devices, kiosks, heads); staff send their own.
    RecordCheckins,
    /// Manual corrections and voiding of events, with a reason.
    CorrectCheckins,
    /// Import dossiers from the one-stop system.
    ImportDossiers,
    /// Enter citizens' satisfaction surveys (kiosks, paper forms).
    RecordSurveys,
    /// Open inspections of units and record findings (as a member of the team).
    Inspect,
    /// Read the inspections of a subtree without being on the team.
    ReadInspections,
    /// Withdraw an upheld finding on review without being on the team.
    WithdrawFindings,
    /// Run the annual evaluation and decide ratings.
    Evaluate,
    /// Read evaluations (proposals, metrics, decisions).
    ReadEvaluations,
    /// Add versions of rating policies (a province's; national ones need every unit).
    WritePolicies,
    /// Enter the monthly or quarterly scores (NĐ 335/2025) of the people one manages.
    ScorePeriods,
    /// Read the outbox of notices and digests about a subtree.
    ReadNotifications,
    /// Send a failed or given-up message again.
    ManageNotifications,
    /// Record that a repeat notice was acted on (stops its escalation).
    AcknowledgeNotices,
    /// Map one-stop handlers to staff: accounts, aliases, steps by hand.
    MapHandlers,
    /// Read the disputes of late dossier steps (officers read their own).
    ReadDisputes,
}

impl Action {
    /// Roles whose subtree grants this action.
    fn subtree_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::ReadUnits | Action::ReadStaff => &[Admin, Hr, UnitHead, Inspector],
            Action::WriteUnits | Action::ManageUsers => &[Admin],
            Action::WriteStaff | Action::ReadAudit => &[Admin, Hr],
            Action::DecideLeave => &[Admin, Hr, UnitHead],
            Action::RecordCheckins => &[Admin, UnitHead, Device],
            Action::CorrectCheckins => &[Admin, UnitHead],
            Action::ImportDossiers => &[Admin, Hr],
            Action::RecordSurveys => &[Admin, Hr, UnitHead, Device],
            Action::Inspect => &[Admin, Inspector],
            Action::ReadInspections => &[Admin, Hr, UnitHead],
            Action::WithdrawFindings => &[Admin],
            Action::Evaluate => &[Admin, Hr],
            Action::ReadEvaluations => &[Admin, Hr, UnitHead],
            Action::WritePolicies => &[Admin],
            Action::ScorePeriods => &[Admin, Hr, UnitHead],
            Action::ReadNotifications => &[Admin, Hr, UnitHead],
            Action::ManageNotifications => &[Admin],
            Action::AcknowledgeNotices => &[Admin, UnitHead],
            Action::MapHandlers => &[Admin],
            Action::ReadDisputes => &[Admin, Hr, UnitHead],
        }
    }
}

/// A role held by a user, with the materialised path of its unit (None: every unit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub unit_id: Option<i64>,
    pub unit_path: Option<String>,
}

/// The signed-in user as the access rules see them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub staff_id: Option<i64>,
    pub staff_unit_id: Option<i64>,
    pub grants: Vec<Grant>,
}

/// What an actor may reach for one action: every unit, whole subtrees, single units
/// (not their staff), and single staff records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibility {
    pub all: bool,
    pub subtrees: Vec<String>,
    pub units: Vec<i64>,
    pub staff_ids: Vec<i64>,
}

impl Visibility {
    pub fn is_empty(&self) -> bool {
        !self.all && self.subtrees.is_empty() && self.units.is_empty() && self.staff_ids.is_empty()
    }

    fn reaches_path(&self, path: &str) -> bool {
        self.all || self.subtrees.iter().any(|root| in_subtree(path, root))
    }

    pub fn unit(&self, unit_id: i64, unit_path: &str) -> bool {
        self.reaches_path(unit_path) || self.units.contains(&unit_id)
    }

    pub fn staff(&self, staff_id: i64, unit_path: &str) -> bool {
        self.reaches_path(unit_path) || self.staff_ids.contains(&staff_id)
    }

    /// Why a step stays with its present `officer` (of the unit at `officer_path`; None
    /// when the record is gone) when one linked to the staff record `own` would hand it to
    /// someone else, if it does. Moving a step moves its lateness: not away from one's own
    /// record, nor from an officer beyond one's reach. By hand and by file alike.
    pub fn keeps_step(
        &self,
        own: Option<i64>,
        officer: i64,
        officer_path: Option<&str>,
    ) -> Option<&'static str> {
        if own == Some(officer) {
            Some("a step of your own is for another to attribute")
        } else if !officer_path.is_some_and(|p| self.staff(officer, p)) {
            Some("the step's officer works outside your reach")
        } else {
            None
        }
    }

    /// Whether the actor reaches a whole subtree rooted at `unit_path`.
    pub fn subtree(&self, unit_path: &str) -> bool {
        self.reaches_path(unit_path)
    }

    /// Whether the actor reaches the unit at `unit_path` from above it: where a notice
    /// about that unit's head goes (a role held on the very unit is their deputy's or
    /// their own staff's).
    pub fn above(&self, unit_path: &str) -> bool {
        self.all || super::units::parent_path(unit_path).is_some_and(|p| self.subtree(p))
    }
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Whether any of the actor's roles is held in the province with root `province_id`
    /// (or everywhere): what a province's own catalogue and calendar need to be seen.
    pub fn in_province(&self, province_id: i64) -> bool {
        let inside = format!("/{province_id}/");
        self.grants.iter().any(|g| {
            g.unit_path
                .as_deref()
                .is_none_or(|path| path.starts_with(&inside))
        })
    }

    /// The one province all the actor's roles are held in, if there is one (not for an
    /// actor with a role everywhere, or in two provinces): the province a list of
    /// province-scoped things shows when the request names none.
    pub fn only_province(&self) -> Option<i64> {
        let mut roots = self.grants.iter().map(|g| {
            g.unit_path
                .as_deref()
                .and_then(|p| p.trim_start_matches('/').split('/').next())
                .and_then(|id| id.parse::<i64>().ok())
        });
        let first = roots.next()??;
        roots.all(|r| r == Some(first)).then_some(first)
    }

    /// Whether the actor may enter the period scores of `staff_id`, whose unit is at
    /// `unit_path` and who heads it when `is_head`: the person's manager, hr or an admin,
    /// never the person (`manages`).
    pub fn may_score(&self, staff_id: i64, unit_path: &str, is_head: bool) -> bool {
        self.manages(Action::ScorePeriods, staff_id, unit_path, is_head)
    }

    /// Whether the actor may do `action` as `staff_id`'s superior (score them, decide
    /// their leave), whose unit is at `unit_path` and who heads it when `is_head`: never
    /// on oneself. A unit head's grant reaches the people of its unit and of the units
    /// below, but not a head of its own unit: their superior is the level above, so a
    /// deputy holding the role on the unit does not decide for their head, nor one
    /// co-head for another. hr and admin grants reach everyone below them.
    pub fn manages(&self, action: Action, staff_id: i64, unit_path: &str, is_head: bool) -> bool {
        if self.staff_id == Some(staff_id) {
            return false;
        }
        let roles = action.subtree_roles();
        self.grants
            .iter()
            .filter(|g| roles.contains(&g.role))
            .any(|g| {
                let reaches = g
                    .unit_path
                    .as_deref()
                    .is_none_or(|root| in_subtree(unit_path, root));
                // A head role without a unit reaches every unit, above everyone (as
                // `disputes::may_decide` reads it).
                let own_head = g.role == Role::UnitHead
                    && is_head
                    && g.unit_path.as_deref() == Some(unit_path);
                reaches && !own_head
            })
    }

    pub fn visibility(&self, action: Action) -> Visibility {
        let mut v = Visibility::default();
        let roles = action.subtree_roles();
        for grant in self.grants.iter().filter(|g| roles.contains(&g.role)) {
            match &grant.unit_path {
                None => v.all = true,
                Some(path) => v.subtrees.push(path.clone()),
            }
        }
        if self.has_role(Role::Staff) {
            match action {
                Action::ReadUnits => {
                    v.units.extend(self.staff_unit_id);
                    v.units.extend(
                        self.grants
                            .iter()
                            .filter(|g| g.role == Role::Staff)
                            .filter_map(|g| g.unit_id),
                    );
                }
                Action::ReadStaff | Action::RecordCheckins => v.staff_ids.extend(self.staff_id),
                _ => {}
            }
        }
        if v.all {
            return Visibility {
                all: true,
                ..Visibility::default()
            };
        }
        v.subtrees.sort();
        v.subtrees.dedup();
        // A subtree inside another adds nothing and would only lengthen the SQL filter.
        let roots: Vec<String> = v
            .subtrees
            .iter()
            .filter(|p| !v.subtrees.iter().any(|q| q != *p && in_subtree(p, q)))
            .cloned()
            .collect();
        v.subtrees = roots;
        v.units.sort_unstable();
        v.units.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, id: Option<i64>, path: Option<&str>) -> Grant {
        Grant {
            role,
            unit_id: id,
            unit_path: path.map(str::to_owned),
        }
    }

    fn actor(grants: Vec<Grant>) -> Actor {
        Actor {
            user_id: 1,
            staff_id: Some(70),
            staff_unit_id: Some(9),
            grants,
        }
    }

    #[test]
    fn heads_are_scored_by_the_level_above() {
        let deputy = actor(vec![grant(Role::UnitHead, Some(5), Some("/1/5/"))]);
        // The head of the deputy's own unit: the level above scores them.
        assert!(!deputy.may_score(11, "/1/5/", true));
        // Their colleagues, and the heads of the units below.
        assert!(deputy.may_score(12, "/1/5/", false));
        assert!(deputy.may_score(13, "/1/5/8/", true));
        // Never beyond the subtree, never themself.
        assert!(!deputy.may_score(14, "/1/6/", false));
        assert!(!deputy.may_score(70, "/1/5/8/", false));
        let above = actor(vec![grant(Role::UnitHead, Some(1), Some("/1/"))]);
        assert!(above.may_score(11, "/1/5/", true));
        let hr = actor(vec![grant(Role::Hr, Some(5), Some("/1/5/"))]);
        assert!(hr.may_score(11, "/1/5/", true), "hr enters anyone's");
        let staff = actor(vec![grant(Role::Staff, Some(5), Some("/1/5/"))]);
        assert!(!staff.may_score(12, "/1/5/", false));
        let root = actor(vec![grant(Role::Admin, None, None)]);
        assert!(root.may_score(11, "/1/5/", true));
    }

    #[test]
    fn the_one_province_of_an_actor() {
        let two_roles = actor(vec![
            grant(Role::UnitHead, Some(5), Some("/1/5/")),
            grant(Role::Hr, Some(1), Some("/1/")),
        ]);
        assert_eq!(two_roles.only_province(), Some(1));
        let two_provinces = actor(vec![
            grant(Role::Hr, Some(5), Some("/1/5/")),
            grant(Role::Hr, Some(2), Some("/2/")),
        ]);
        assert_eq!(two_provinces.only_province(), None);
        let everywhere = actor(vec![
            grant(Role::Hr, Some(5), Some("/1/5/")),
            grant(Role::Admin, None, None),
        ]);
        assert_eq!(everywhere.only_province(), None);
        assert_eq!(actor(Vec::new()).only_province(), None);
    }

    #[test]
    fn global_admin_reaches_everything() {
        let a = actor(vec![grant(Role::Admin, None, None)]);
        for action in [
            Action::ReadUnits,
            Action::WriteUnits,
            Action::ManageUsers,
            Action::ReadAudit,
        ] {
            let v = a.visibility(action);
            assert!(v.all);
            assert!(v.unit(123, "/5/123/"));
        }
    }

    #[test]
    fn unit_head_reads_subtree_but_writes_nothing() {
        let a = actor(vec![grant(Role::UnitHead, Some(4), Some("/1/4/"))]);
        let read = a.visibility(Action::ReadStaff);
        assert!(read.staff(500, "/1/4/9/"));
        assert!(read.staff(500, "/1/4/"));
        assert!(!read.staff(500, "/1/41/"));
        assert!(!read.staff(500, "/1/"));
        assert!(a.visibility(Action::WriteStaff).is_empty());
        assert!(a.visibility(Action::WriteUnits).is_empty());
        assert!(a.visibility(Action::ReadAudit).is_empty());
    }

    #[test]
    fn staff_sees_only_self_and_own_unit() {
        let a = actor(vec![grant(Role::Staff, Some(9), Some("/1/4/9/"))]);
        let staff = a.visibility(Action::ReadStaff);
        assert!(staff.staff(70, "/1/4/9/"));
        assert!(
            !staff.staff(71, "/1/4/9/"),
            "a colleague in the same unit is not visible"
        );
        let units = a.visibility(Action::ReadUnits);
        assert!(units.unit(9, "/1/4/9/"));
        assert!(
            !units.unit(10, "/1/4/9/10/"),
            "sub-units are not visible to staff"
        );
        assert!(!units.unit(4, "/1/4/"));
    }

    #[test]
    fn hr_writes_staff_and_reads_audit_in_subtree() {
        let a = actor(vec![grant(Role::Hr, Some(4), Some("/1/4/"))]);
        assert!(a.visibility(Action::WriteStaff).staff(1, "/1/4/7/"));
        assert!(!a.visibility(Action::WriteStaff).staff(1, "/1/5/"));
        assert!(a.visibility(Action::ReadAudit).subtree("/1/4/"));
        assert!(a.visibility(Action::ManageUsers).is_empty());
    }

    #[test]
    fn devices_only_record_checkins() {
        let a = actor(vec![grant(Role::Device, Some(4), Some("/1/4/"))]);
        assert!(a.visibility(Action::RecordCheckins).staff(9, "/1/4/7/"));
        assert!(!a.visibility(Action::RecordCheckins).staff(9, "/1/5/"));
        for action in [
            Action::ReadUnits,
            Action::ReadStaff,
            Action::CorrectCheckins,
            Action::DecideLeave,
        ] {
            assert!(a.visibility(action).is_empty(), "{action:?}");
        }
        let staff = actor(vec![grant(Role::Staff, Some(9), Some("/1/4/9/"))]);
        let own = staff.visibility(Action::RecordCheckins);
        assert!(
            own.staff(70, "/1/4/9/") && !own.staff(71, "/1/4/9/"),
            "staff check in themselves only"
        );
        assert!(staff.visibility(Action::CorrectCheckins).is_empty());
    }

    #[test]
    fn nested_subtrees_collapse() {
        let a = actor(vec![
            grant(Role::Inspector, Some(4), Some("/1/4/")),
            grant(Role::UnitHead, Some(9), Some("/1/4/9/")),
            grant(Role::UnitHead, Some(5), Some("/1/5/")),
        ]);
        let v = a.visibility(Action::ReadUnits);
        assert_eq!(v.subtrees, vec!["/1/4/".to_owned(), "/1/5/".to_owned()]);
    }

    #[test]
    fn no_roles_no_visibility() {
        let a = actor(vec![]);
        assert!(a.visibility(Action::ReadUnits).is_empty());
        assert!(a.visibility(Action::ReadStaff).is_empty());
    }
}
