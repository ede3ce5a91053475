//! The national portal's (DVCQG) processing log as congvu reads it (ONESTOP.md): which
//! staff member a log entry's handler is, how a re-sent entry is recognised, and when a
//! step began when the log does not say. Names are display names, so a handler is
//! attributed only by an account, or by a name that fits exactly one person in the
//! dossier's unit; anything else is kept aside for an administrator.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text::nfc;

/// The form in which accounts and names are compared: NFC, trimmed, single spaces, lower
/// case. Diacritics are kept: "Lan" and "Lân" are different people.
pub fn handle_key(s: &str) -> String {
    nfc(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// How a step's handler was attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The one-stop account (`TaiKhoanXuLy`) mapped to the person.
    Account,
    /// A name alias mapped to the person, the only one in the dossier's unit.
    Alias,
    /// The person's own full name, the only one in the dossier's unit.
    Name,
    /// An administrator attributed this step by hand.
    Manual,
}

impl MatchedBy {
    /// How much an attribution says: a later, weaker one never replaces it.
    pub fn rank(self) -> u8 {
        match self {
            MatchedBy::Name => 1,
            MatchedBy::Alias => 2,
            MatchedBy::Account => 3,
            MatchedBy::Manual => 4,
        }
    }

    /// The rank of a stored attribution's code; none (or an unknown code) ranks 0.
    pub fn rank_of(code: Option<&str>) -> u8 {
        code.and_then(MatchedBy::parse).map_or(0, MatchedBy::rank)
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "account" => MatchedBy::Account,
            "alias" => MatchedBy::Alias,
            "name" => MatchedBy::Name,
            "manual" => MatchedBy::Manual,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            MatchedBy::Account => "account",
            MatchedBy::Alias => "alias",
            MatchedBy::Name => "name",
            MatchedBy::Manual => "manual",
        }
    }
}

/// Why a handler is not attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlerIssue {
    /// No account, alias or name fits anyone.
    Unknown,
    /// Several people fit the name.
    Ambiguous,
}

impl HandlerIssue {
    pub fn code(self) -> &'static str {
        match self {
            HandlerIssue::Unknown => "unknown",
            HandlerIssue::Ambiguous => "ambiguous",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unknown" => Some(HandlerIssue::Unknown),
            "ambiguous" => Some(HandlerIssue::Ambiguous),
            _ => None,
        }
    }
}

/// Who a handler is, or why nobody is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Staff(i64, MatchedBy),
    Unresolved(HandlerIssue),
    /// The account is this person's, who is beyond the reach of whoever writes: the step
    /// is theirs, so no name decides it, yet it may not be attributed to them. It is kept
    /// aside as `unknown` (saying more would tell what lies beyond the writer's reach),
    /// and it says as much as an account match about who did *not* do the step.
    BeyondReach(i64),
}

impl Resolution {
    /// Why the step is kept aside, when it is.
    pub fn issue(&self) -> Option<HandlerIssue> {
        match self {
            Resolution::Staff(..) => None,
            Resolution::Unresolved(i) => Some(*i),
            Resolution::BeyondReach(_) => Some(HandlerIssue::Unknown),
        }
    }
}

/// The candidates for one handler, each list already limited to the dossier's unit (the
/// account to the province: an account is one person's).
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    pub by_account: Option<i64>,
    /// The account's holder when they are beyond the writer's reach.
    pub account_beyond_reach: Option<i64>,
    pub by_alias: Vec<i64>,
    pub by_name: Vec<i64>,
}

/// Whether a person was in service on `day` (joining and leaving dates inclusive): only
/// they can have handled a step that day, so a namesake who had left, or had not yet
/// joined, is no candidate. Without a day, anyone is.
pub fn served_on(
    joined: Option<NaiveDate>,
    left: Option<NaiveDate>,
    day: Option<NaiveDate>,
) -> bool {
    served_during(joined, left, day, day)
}

/// Whether a person was in service on some day of `first..=last` (a group of steps kept
/// aside, from its first to its last): the namesakes worth offering for it. An open end
/// bounds nothing.
pub fn served_during(
    joined: Option<NaiveDate>,
    left: Option<NaiveDate>,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
) -> bool {
    let joined_by_end = joined.is_none_or(|j| last.is_none_or(|l| j <= l));
    let left_after_start = left.is_none_or(|x| first.is_none_or(|f| f <= x));
    joined_by_end && left_after_start
}

/// The local day a step was handled, for `served_on`: the day it was finished, else the
/// day it was received.
pub fn step_day(
    received: Option<NaiveDateTime>,
    finished: Option<NaiveDateTime>,
) -> Option<NaiveDate> {
    finished.or(received).map(|t| t.date())
}

/// Account first; then an alias that fits one person; then a full name that fits one
/// person. An alias an administrator set outranks a name: it is how a namesake is told
/// apart. Two or more fits at a level are ambiguous, never a guess. An account held
/// beyond reach still says who did the step: no alias or name is tried.
pub fn resolve(c: &Candidates) -> Resolution {
    if let Some(id) = c.by_account {
        return Resolution::Staff(id, MatchedBy::Account);
    }
    if let Some(id) = c.account_beyond_reach {
        return Resolution::BeyondReach(id);
    }
    for (list, how) in [
        (&c.by_alias, MatchedBy::Alias),
        (&c.by_name, MatchedBy::Name),
    ] {
        let mut ids = list.clone();
        ids.sort_unstable();
        ids.dedup();
        match ids.len() {
            0 => continue,
            1 => return Resolution::Staff(ids[0], how),
            _ => return Resolution::Unresolved(HandlerIssue::Ambiguous),
        }
    }
    Resolution::Unresolved(HandlerIssue::Unknown)
}

/// Where a processing-log entry stands (the vendor's `TrangThai` mapped by configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// The handler finished the step (at `ThoiDiemXuLy`).
    Done,
    /// The handler holds the dossier now.
    InProgress,
}

/// A processing-log entry, checked, in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub handler_name: Option<String>,
    pub handler_account: Option<String>,
    pub action: Option<String>,
    pub state: StepState,
    /// `ThoiDiemXuLy`.
    pub at: Option<NaiveDateTime>,
    /// `NgayBatDau`.
    pub started: Option<NaiveDateTime>,
    /// `NgayKetThucTheoQuyDinh`: often empty, and then the step cannot be late by itself.
    pub due: Option<NaiveDateTime>,
}

impl LogEntry {
    /// When the step ended: the time of a done entry.
    pub fn finished(&self) -> Option<NaiveDateTime> {
        match self.state {
            StepState::Done => self.at,
            StepState::InProgress => None,
        }
    }

    /// Who, in the compared form: the account when the feed has one, else the name.
    fn who(&self) -> String {
        match (&self.handler_account, &self.handler_name) {
            (Some(a), _) => format!("a:{}", handle_key(a)),
            (None, Some(n)) => format!("n:{}", handle_key(n)),
            (None, None) => "-".to_owned(),
        }
    }

    /// The entry's identity within its dossier: who, what, and when it began (or, without
    /// a start, when it was done). An entry sent again is the same step; the same step
    /// first sent in progress and later done keeps its start, and is found by
    /// [`LogEntry::open_key`] when the log gives none.
    pub fn key(&self) -> String {
        let when = match (self.started, self.finished()) {
            (Some(s), _) => s.format("%Y%m%d%H%M%S").to_string(),
            (None, Some(f)) => format!("done@{}", f.format("%Y%m%d%H%M%S")),
            (None, None) => "open".to_owned(),
        };
        format!("{}{when}", self.who_what())
    }

    /// The key the same step had while it was open with no start in the log.
    pub fn open_key(&self) -> String {
        format!("{}open", self.who_what())
    }

    /// Who and what, the start of every key this entry's step can have.
    pub fn who_what(&self) -> String {
        format!("{}|{}|", self.who(), self.action_key())
    }

    fn action_key(&self) -> String {
        self.action.as_deref().map(handle_key).unwrap_or_default()
    }
}

/// The entries in the order they happened: by start, else by when they were done; open
/// entries without either last. Step numbers are given in this order.
pub fn in_order(entries: &mut [LogEntry]) {
    entries.sort_by_key(|e| {
        let t = e.started.or(e.finished()).or(e.at);
        // A step that began as another ended comes after it.
        (t.is_none(), t, e.finished().is_none(), e.finished())
    });
}

/// Whether a step's key carries its start, so that none is inferred for it: the log's
/// (`NgayBatDau`), or the file's of a step first imported by file (`file_start_key`).
pub fn key_has_start(key: &str) -> bool {
    !key.ends_with("|open") && !key.contains("|done@")
}

/// Whether a step's key says the log itself gave its start, which a re-send must then
/// give alike; a file's start is not the log's, and may differ from it by a little.
pub fn key_has_log_start(key: &str) -> bool {
    key_has_start(key) && !key.contains("|file@")
}

/// Who and what of a key (`LogEntry::who_what`): all of it up to its time.
pub fn key_who_what(key: &str) -> &str {
    key.rfind('|').map_or("", |i| &key[..=i])
}

/// The key of a step imported by file that the feed's entry without a start took: the
/// file's start (local time) kept in it, marked as the file's.
pub fn file_start_key(who_what: &str, start: NaiveDateTime) -> String {
    format!("{who_what}file@{}", start.format("%Y%m%d%H%M%S"))
}

/// Whether a feed entry (or step) is a step imported by file, the same officer's: times
/// that agree (the file's start a start), or both done at the same instant (a file's
/// start may be the reception's, a little off the log's); and an open entry taken for a
/// file step already done only when it begins when that step began, or has no action
/// either, as `same_step` has it (a file gives none): else it is the officer holding the
/// file for another task.
pub fn fits_file_step(entry: StepFace, file: StepFace) -> bool {
    let other_task = entry.finished.is_none()
        && file.finished.is_some()
        && entry.action.is_some_and(|a| !handle_key(a).is_empty())
        && (entry.started.is_none() || entry.started != file.started);
    let same_end = matches!((entry.finished, file.finished), (Some(a), Some(b)) if a == b);
    !other_task && (times_agree(entry, file) || same_end)
}

/// What a step looks like to [`same_step`]: the handler, the action and the times as the
/// log gave them (a start only where the log had one, never an inferred one).
#[derive(Debug, Clone, Copy, Default)]
pub struct StepFace<'a> {
    pub account: Option<&'a str>,
    pub name: Option<&'a str>,
    pub action: Option<&'a str>,
    pub started: Option<NaiveDateTime>,
    pub finished: Option<NaiveDateTime>,
}

/// Whether a re-sent entry whose key matched no stored step is still one of them. The
/// key is exact, and vendors vary what they send of one entry from one send to the
/// next (ONESTOP.md): `NgayBatDau` filled by one service and empty in the other, the
/// account in some exports only, the action text edited. Each of those would make the
/// step a second one, counted twice in the officer's handled and late steps.
///
/// The same step: the same handler (the account where both sides have one, else the
/// name), the same action where both have one, and times that agree — the same start
/// where the log gave both; else the same end; else one end and the other still open,
/// the end not before the start. The caller takes the match only when exactly one
/// stored step fits, so two rounds of one officer's step are never merged by a guess.
pub fn same_step(entry: StepFace, stored: StepFace) -> bool {
    let key = |s: Option<&str>| s.map(handle_key).filter(|k| !k.is_empty());
    let who = match (key(entry.account), key(stored.account)) {
        (Some(a), Some(b)) => a == b,
        _ => matches!((key(entry.name), key(stored.name)), (Some(a), Some(b)) if a == b),
    };
    // An action left out fits any, except for an open entry against a step already done:
    // that is either the same round sent late (stale) or the officer holding the file for
    // another task, and only the action tells them apart.
    let (entry_action, stored_action) = (key(entry.action), key(stored.action));
    let what = match (&entry_action, &stored_action) {
        _ if entry.finished.is_none() && stored.finished.is_some() => entry_action == stored_action,
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    who && what && times_agree(entry, stored)
}

/// Whether two forms of a step have times that agree: the same start where both give
/// one; else the same end; else one end and the other still open, begun before it.
pub fn times_agree(entry: StepFace, stored: StepFace) -> bool {
    match (entry.started, stored.started) {
        (Some(a), Some(b)) => a == b,
        _ => match (entry.finished, stored.finished) {
            (Some(a), Some(b)) => a == b,
            (Some(end), None) => stored.started.is_none_or(|s| s <= end),
            (None, Some(end)) => entry.started.is_none_or(|s| s <= end),
            (None, None) => true,
        },
    }
}

/// When a step began whose log gives no `NgayBatDau`: when the last other step before it
/// ended (the log is a chain of hand-overs), or when the dossier was received. `reference`
/// is when the step was done, or for an open step when it was logged; an open step
/// logged at no known time took the dossier when the last step ended. This is what finds
/// the step that held a dossier when its deadline passed.
pub fn inferred_start(
    reference: Option<NaiveDateTime>,
    other_ends: &[NaiveDateTime],
    received: NaiveDateTime,
) -> NaiveDateTime {
    other_ends
        .iter()
        .filter(|e| reference.is_none_or(|r| **e < r))
        .max()
        .copied()
        .unwrap_or(received)
        .max(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_resent_with_other_vendor_fields_is_the_same_step() {
        let t = |d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2026, 3, d)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .unwrap()
        };
        let stored = StepFace {
            account: Some("lan.nt"),
            name: Some("Nguyễn Thị Lan"),
            action: Some("Thẩm định hồ sơ"),
            started: Some(t(2, 8)),
            finished: Some(t(9, 10)),
        };
        let same = |entry: StepFace| same_step(entry, stored);
        // NgayBatDau left out the second time: the same end.
        assert!(same(StepFace {
            started: None,
            ..stored
        }));
        // The account missing, the name spaced and cased otherwise; the action missing.
        assert!(same(StepFace {
            account: None,
            name: Some(" nguyễn  thị LAN "),
            action: None,
            ..stored
        }));
        // The open entry of the same round, sent again late: the same step (stale).
        assert!(same(StepFace {
            finished: None,
            ..stored
        }));
        // Another officer, another action, another round: other steps.
        assert!(!same(StepFace {
            account: Some("hoa.lt"),
            ..stored
        }));
        assert!(!same(StepFace {
            account: None,
            name: Some("Nguyễn Thị Lân"),
            ..stored
        }));
        assert!(!same(StepFace {
            action: Some("Phê duyệt"),
            ..stored
        }));
        assert!(!same(StepFace {
            started: Some(t(10, 8)),
            finished: Some(t(11, 9)),
            ..stored
        }));
        assert!(!same(StepFace {
            started: None,
            finished: Some(t(9, 11)),
            ..stored
        }));
        // An open entry that began after the round was done is the next round.
        let no_start = StepFace {
            started: None,
            ..stored
        };
        let next_round = StepFace {
            started: Some(t(10, 8)),
            finished: None,
            ..stored
        };
        assert!(!same_step(next_round, no_start));
        // Open, without its action, after a step of hers was done: she may hold the file
        // for another task, so only the same action makes it that step sent late.
        let holding = StepFace {
            action: None,
            started: None,
            finished: None,
            ..stored
        };
        assert!(!same(holding));
        assert!(same(StepFace {
            action: stored.action,
            ..holding
        }));
        // Nobody named on either side is nobody to match.
        let anonymous = StepFace {
            account: None,
            name: None,
            ..stored
        };
        assert!(!same_step(anonymous, anonymous));

        // The stored step still open with its start; the entry done, without the start.
        let open = StepFace {
            finished: None,
            ..stored
        };
        let done = StepFace {
            started: None,
            ..stored
        };
        assert!(same_step(done, open));
        assert!(
            !same_step(
                StepFace {
                    finished: Some(t(1, 9)),
                    ..done
                },
                open
            ),
            "done before the open one began"
        );
    }

    #[test]
    fn only_those_in_service_handled_a_step() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day);
        assert!(served_on(None, None, d(3, 1)));
        assert!(served_on(d(1, 1), d(3, 1), d(3, 1)), "the last day counts");
        assert!(served_on(d(3, 1), None, d(3, 1)), "the first day counts");
        assert!(!served_on(None, d(2, 28), d(3, 1)), "had left");
        assert!(!served_on(d(3, 2), None, d(3, 1)), "not yet joined");
        assert!(served_on(d(3, 2), d(2, 1), None), "no day: anyone");
    }

    #[test]
    fn a_namesake_counts_when_serving_on_any_day_of_the_steps() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day);
        let (first, last) = (d(3, 1), d(3, 31));
        assert!(served_during(None, None, first, last));
        assert!(
            served_during(None, d(3, 1), first, last),
            "left on the first day"
        );
        assert!(
            served_during(d(3, 31), None, first, last),
            "joined on the last day"
        );
        assert!(!served_during(None, d(2, 28), first, last), "had left");
        assert!(!served_during(d(4, 1), None, first, last), "not yet joined");
        assert!(
            served_during(d(4, 1), d(1, 1), None, None),
            "no days: anyone"
        );
    }

    fn t(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn entry(name: &str, action: &str, state: StepState, at: Option<NaiveDateTime>) -> LogEntry {
        LogEntry {
            handler_name: Some(name.to_owned()),
            handler_account: None,
            action: Some(action.to_owned()),
            state,
            at,
            started: None,
            due: None,
        }
    }

    #[test]
    fn names_compare_in_one_form_but_keep_their_marks() {
        // NFD "Lan" typed on a phone, extra spaces, capitals.
        assert_eq!(
            handle_key("  NGUYỄN  Thị\u{0020}Lan "),
            handle_key("nguyễn thị lan")
        );
        assert_eq!(
            handle_key("Nguye\u{0302}\u{0303}n Thi\u{0323} Lan"),
            "nguyễn thị lan"
        );
        assert_ne!(handle_key("Nguyễn Thị Lân"), handle_key("Nguyễn Thị Lan"));
    }

    #[test]
    fn an_account_decides_then_one_alias_then_one_name() {
        let c = Candidates {
            by_account: Some(7),
            by_alias: vec![1, 2],
            by_name: vec![3],
            ..Default::default()
        };
        assert_eq!(resolve(&c), Resolution::Staff(7, MatchedBy::Account));
        let c = Candidates {
            by_alias: vec![4],
            by_name: vec![4, 5],
            ..Default::default()
        };
        assert_eq!(
            resolve(&c),
            Resolution::Staff(4, MatchedBy::Alias),
            "an alias tells namesakes apart"
        );
        let c = Candidates {
            by_name: vec![5, 5],
            ..Default::default()
        };
        assert_eq!(resolve(&c), Resolution::Staff(5, MatchedBy::Name));
        let c = Candidates {
            by_name: vec![5, 6],
            ..Default::default()
        };
        assert_eq!(
            resolve(&c),
            Resolution::Unresolved(HandlerIssue::Ambiguous),
            "two officers share the name: nobody is guessed"
        );
        assert_eq!(
            resolve(&Candidates::default()),
            Resolution::Unresolved(HandlerIssue::Unknown)
        );
        let c = Candidates {
            account_beyond_reach: Some(8),
            by_alias: vec![4],
            by_name: vec![5],
            ..Default::default()
        };
        assert_eq!(
            resolve(&c),
            Resolution::BeyondReach(8),
            "the account says who did it: no namesake is blamed"
        );
        assert_eq!(resolve(&c).issue(), Some(HandlerIssue::Unknown));
    }

    #[test]
    fn a_re_sent_entry_has_the_same_key_and_an_open_one_is_found_when_done() {
        let open = entry("Lan", "Thẩm định", StepState::InProgress, Some(t(3, 9)));
        let done = entry("Lan ", "thẩm  định", StepState::Done, Some(t(5, 16)));
        assert_eq!(open.key(), open.clone().key());
        assert_eq!(open.key(), done.open_key(), "the same step, now done");
        assert_ne!(open.key(), done.key());
        let mut with_start = done.clone();
        with_start.started = Some(t(3, 9));
        let mut still_open = with_start.clone();
        still_open.state = StepState::InProgress;
        assert_eq!(
            with_start.key(),
            still_open.key(),
            "a start keeps the key stable"
        );
        let mut by_account = done.clone();
        by_account.handler_account = Some("LanNT".into());
        by_account.handler_name = Some("Nguyễn T. Lan".into());
        assert!(by_account.key().starts_with("a:lannt|"));
    }

    #[test]
    fn missing_starts_follow_the_hand_overs() {
        let received = t(2, 8);
        let mut log = vec![
            entry("C", "Ký duyệt", StepState::InProgress, Some(t(6, 8))),
            entry("A", "Tiếp nhận", StepState::Done, Some(t(2, 9))),
            entry("B", "Thẩm định", StepState::Done, Some(t(5, 17))),
        ];
        in_order(&mut log);
        let names: Vec<_> = log
            .iter()
            .map(|e| e.handler_name.clone().unwrap())
            .collect();
        assert_eq!(names, ["A", "B", "C"]);
        let ends = [t(2, 9), t(5, 17)];
        assert_eq!(
            inferred_start(Some(t(2, 9)), &ends, received),
            received,
            "the first"
        );
        assert_eq!(
            inferred_start(Some(t(5, 17)), &ends, received),
            t(2, 9),
            "each step began when the one before it ended"
        );
        assert_eq!(inferred_start(Some(t(6, 8)), &ends, received), t(5, 17));
        assert_eq!(
            inferred_start(None, &ends, received),
            t(5, 17),
            "open, time unknown"
        );
        assert!(key_has_start("a:x|y|20260302090000"));
        assert!(key_has_log_start("a:x|y|20260302090000"));
        let from_file = file_start_key("a:x|y|", t(3, 9));
        assert_eq!(from_file, "a:x|y|file@20260303090000");
        assert!(key_has_start(&from_file) && !key_has_log_start(&from_file));
        assert!(!key_has_start(&log[2].key()), "{}", log[2].key());
        assert!(!key_has_start(&log[0].key()));
    }
}
