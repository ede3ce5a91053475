//! Steps a dossier holds twice. Before `same_step` (the tenth session), a processing-log
//! entry the vendor sent otherwise — its start left out, its account missing, done
//! without the start it was opened with — was stored as a second step; and before the
//! feed took a step imported by file as its entry (the eleventh), each step of a dossier
//! imported by file and then sent by the feed was stored again. Each is still counted
//! twice in its officer's handled and late steps. The feed no longer makes such twins;
//! this finds those stored before, for `congvu admin merge-twin-steps`.
//!
//! Two stored steps are twins when the later one, taken as a re-sent entry, is the
//! earlier one by `same_step`, or when one came by file and the other is the feed's entry
//! of it (the same officer, times that agree). Steps are merged only in groups where
//! every two are twins: a chain (a like b, b like c, a unlike c) may be two rounds of one
//! officer's step, and is reported and left alone, as is a group with more than one
//! dispute.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::attendance::to_local;
use super::onestop::{
    MatchedBy, StepFace, file_start_key, fits_file_step, key_has_log_start, key_has_start,
    key_who_what, same_step,
};

/// A stored feed step, as the search reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub id: i64,
    pub step_no: i32,
    /// The log key of a feed step; none for a step imported by file.
    pub key: Option<String>,
    pub handler_name: Option<String>,
    pub handler_account: Option<String>,
    pub action: Option<String>,
    /// The log's start when the key has one (or the file's), else the inferred one.
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub matched_by: Option<String>,
    pub handler_issue: Option<String>,
    /// When a send last changed the step.
    pub updated_at: NaiveDateTime,
    pub disputed: bool,
}

impl Stored {
    fn face(&self) -> StepFace<'_> {
        StepFace {
            account: self.handler_account.as_deref(),
            name: self.handler_name.as_deref(),
            action: self.action.as_deref(),
            started: self
                .received_at
                .filter(|_| self.key.as_deref().is_none_or(key_has_log_start)),
            finished: self.finished_at,
        }
    }

    fn rank(&self) -> u8 {
        self.staff_id
            .map_or(0, |_| MatchedBy::rank_of(self.matched_by.as_deref()))
    }
}

/// What a dossier's twins come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Twins {
    /// One step: `merged` is the kept step (its id) as it is to be, the others go.
    Merge {
        merged: Box<Stored>,
        dropped: Vec<i64>,
    },
    /// The same step disputed more than once: a person chooses which dispute stands.
    Disputed(Vec<i64>),
    /// Steps that fit each other only along a chain: perhaps two rounds, left alone.
    Unsure(Vec<i64>),
}

/// The twins among one dossier's stored steps.
pub fn twins(steps: &[Stored]) -> Vec<Twins> {
    let mut steps: Vec<&Stored> = steps.iter().collect();
    steps.sort_by_key(|s| s.step_no);
    let n = steps.len();
    let twin = |i: usize, j: usize| {
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        related(steps[a], steps[b])
    };
    let mut group_of: Vec<Option<usize>> = vec![None; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for start in 0..n {
        if group_of[start].is_some() {
            continue;
        }
        let mut members = vec![start];
        group_of[start] = Some(groups.len());
        let mut next = 0;
        while next < members.len() {
            let i = members[next];
            let joining: Vec<usize> = (0..n)
                .filter(|&j| group_of[j].is_none() && twin(i, j))
                .collect();
            for j in joining {
                group_of[j] = Some(groups.len());
                members.push(j);
            }
            next += 1;
        }
        members.sort_unstable();
        groups.push(members);
    }
    // The keys the dossier's steps will hold: none may be given twice (a unique index).
    // A merged step gives up its members' keys and takes one of its own.
    let mut held_keys: HashSet<String> = steps.iter().filter_map(|s| s.key.clone()).collect();
    let mut out = Vec::new();
    for g in groups.into_iter().filter(|g| g.len() > 1) {
        let ids = g.iter().map(|&i| steps[i].id).collect();
        let whole = g
            .iter()
            .enumerate()
            .all(|(x, &i)| g[x + 1..].iter().all(|&j| twin(i, j)));
        let members: Vec<&Stored> = g.iter().map(|&i| steps[i]).collect();
        out.push(if !whole {
            Twins::Unsure(ids)
        } else if members.iter().filter(|s| s.disputed).count() > 1 {
            Twins::Disputed(ids)
        } else {
            for m in &members {
                if let Some(k) = &m.key {
                    held_keys.remove(k);
                }
            }
            let found = merged(&members, &held_keys);
            if let Twins::Merge { merged, .. } = &found
                && let Some(k) = &merged.key
            {
                held_keys.insert(k.clone());
            }
            found
        });
    }
    out
}

/// Whether the later of two stored steps is the earlier one: sent again, by the feed's
/// rule (`same_step`); or, one of them imported by file, the file's step the feed's entry
/// is (`from_file`). Two steps of a file are two steps: the file numbered them.
fn related(earlier: &Stored, later: &Stored) -> bool {
    match (&earlier.key, &later.key) {
        (Some(_), Some(_)) => same_step(later.face(), earlier.face()),
        (None, Some(_)) => from_file(later, earlier),
        (Some(_), None) => from_file(earlier, later),
        (None, None) => false,
    }
}

/// A feed step that is a step imported by file, as the feed now takes one
/// (`db::onestop::imported`): the same officer, and `fits_file_step`.
fn from_file(feed: &Stored, file: &Stored) -> bool {
    feed.staff_id.is_some()
        && feed.staff_id == file.staff_id
        && fits_file_step(feed.face(), file.face())
}

/// One step of the group, in step order: the disputed one, else the first stored, with
/// what the latest send that says it said (as the feed updates a step) and the
/// strongest attribution among them (as the feed keeps one); a dispute keeps its own.
/// The latest send is the step changed last: a re-send of the first form updates the
/// first step after its twin was made.
/// `held_keys` are the keys the dossier's other steps hold, which the kept one may not take.
fn merged(members: &[&Stored], held_keys: &HashSet<String>) -> Twins {
    // A group has two members at least.
    let kept = members
        .iter()
        .find(|s| s.disputed)
        .copied()
        .unwrap_or(members[0]);
    let mut by_time = members.to_vec();
    by_time.sort_by_key(|s| (s.updated_at, s.step_no));
    let latest =
        |f: fn(&Stored) -> Option<&String>| by_time.iter().rev().find_map(|s| f(s)).cloned();
    let latest_at =
        |f: fn(&Stored) -> Option<NaiveDateTime>| by_time.iter().rev().find_map(|s| f(s));
    // The key the step is found by from now on: one with the log's start when any has it
    // (without it the start would be inferred over the log's), else one of the step done;
    // with the file's start in it when the log gave none and a file did.
    let feed: Vec<&Stored> = by_time
        .iter()
        .filter(|s| s.key.is_some())
        .copied()
        .collect();
    let keyed = feed
        .iter()
        .rev()
        .find(|s| s.key.as_deref().is_some_and(key_has_log_start))
        .or_else(|| {
            feed.iter()
                .rev()
                .find(|s| s.key.as_deref().is_some_and(key_has_start))
        })
        .or_else(|| feed.iter().rev().find(|s| s.finished_at.is_some()))
        .or(feed.last())
        .copied()
        .unwrap_or(kept);
    let file_start = by_time
        .iter()
        .rev()
        .find(|s| s.key.is_none())
        .and_then(|s| s.received_at);
    let with_file_start = match (keyed.key.as_deref(), file_start) {
        (Some(k), Some(start)) if !key_has_start(k) => {
            let key = file_start_key(key_who_what(k), to_local(start));
            (!held_keys.contains(&key)).then_some((Some(key), Some(start)))
        }
        _ => None,
    };
    let (key, received_at) = with_file_start.unwrap_or_else(|| {
        let start = if keyed.key.as_deref().is_some_and(key_has_start) {
            keyed.received_at
        } else {
            keyed.received_at.or(kept.received_at)
        };
        (keyed.key.clone(), start)
    });
    let holder = if kept.disputed {
        kept
    } else {
        // The last of the strongest: the latest send, as the feed's equal ranks go.
        by_time
            .iter()
            .max_by_key(|s| s.rank())
            .copied()
            .unwrap_or(kept)
    };
    let merged = Stored {
        id: kept.id,
        step_no: kept.step_no,
        key,
        handler_name: latest(|s| s.handler_name.as_ref()),
        handler_account: latest(|s| s.handler_account.as_ref()),
        action: latest(|s| s.action.as_ref()),
        received_at,
        due_at: latest_at(|s| s.due_at),
        finished_at: latest_at(|s| s.finished_at),
        staff_id: holder.staff_id,
        unit_id: holder.unit_id,
        matched_by: holder.matched_by.clone(),
        handler_issue: holder.handler_issue.clone(),
        updated_at: by_time.last().map_or(kept.updated_at, |s| s.updated_at),
        disputed: kept.disputed,
    };
    let dropped = members
        .iter()
        .filter(|s| s.id != kept.id)
        .map(|s| s.id)
        .collect();
    Twins::Merge {
        merged: Box::new(merged),
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap()
    }

    /// Lan's "Thẩm định" step as the feed stored it: with the log's start when `start`.
    fn step(no: i32, start: Option<u32>, done: Option<u32>) -> Stored {
        let when = match (start, done) {
            (Some(s), _) => format!("202603{s:02}090000"),
            (None, Some(d)) => format!("done@202603{d:02}100000"),
            (None, None) => "open".to_owned(),
        };
        Stored {
            id: i64::from(no) * 10,
            step_no: no,
            key: Some(format!("a:lannt|tham dinh|{when}")),
            handler_name: Some("Nguyễn Thị Lan".into()),
            handler_account: Some("lannt".into()),
            action: Some("Thẩm định".into()),
            received_at: Some(start.map_or(at(1, 8), |s| at(s, 9))),
            due_at: Some(at(4, 17)),
            finished_at: done.map(|d| at(d, 10)),
            staff_id: Some(7),
            unit_id: Some(3),
            matched_by: Some("account".into()),
            handler_issue: None,
            updated_at: at(7, 8) + chrono::Duration::minutes(i64::from(no)),
            disputed: false,
        }
    }

    fn merge_of(found: &[Twins]) -> (&Stored, &[i64]) {
        match found {
            [Twins::Merge { merged, dropped }] => (merged, dropped),
            other => panic!("one merge expected: {other:?}"),
        }
    }

    /// The entry stored with its start and again without: one step, found from now on
    /// by the key with the start, whichever came first.
    #[test]
    fn a_step_stored_with_and_without_its_start_is_one() {
        for (first, second) in [(Some(2), None), (None, Some(2))] {
            let steps = [step(1, first, Some(6)), step(2, second, Some(6))];
            let found = twins(&steps);
            let (merged, dropped) = merge_of(&found);
            assert_eq!((merged.id, dropped), (10, &[20][..]));
            assert_eq!(
                merged.key.as_deref(),
                Some("a:lannt|tham dinh|20260302090000")
            );
            assert_eq!(merged.received_at, Some(at(2, 9)));
            assert_eq!(merged.finished_at, Some(at(6, 10)));
        }
    }

    /// Opened with its start, reported done without it: the open step is closed by the
    /// later send's end, and keeps its start.
    #[test]
    fn an_open_step_and_its_end_are_one() {
        let steps = [step(1, Some(2), None), step(2, None, Some(6))];
        let found = twins(&steps);
        let (merged, _) = merge_of(&found);
        assert_eq!(merged.finished_at, Some(at(6, 10)));
        assert_eq!(merged.received_at, Some(at(2, 9)));
        assert_eq!(merged.key, steps[0].key);
    }

    /// Three forms of one entry (with the start, without it, without the account) make
    /// one step with what each said; the account, left out by the latest, stays.
    #[test]
    fn three_forms_of_one_entry_are_one_step() {
        let mut third = step(3, None, Some(6));
        third.key = Some("n:nguyen thi lan|tham dinh|done@20260306100000".into());
        third.handler_account = None;
        third.matched_by = Some("name".into());
        let steps = [step(1, Some(2), Some(6)), step(2, None, Some(6)), third];
        let found = twins(&steps);
        let (merged, dropped) = merge_of(&found);
        assert_eq!(dropped, &[20, 30]);
        assert_eq!(merged.handler_account.as_deref(), Some("lannt"));
        assert_eq!(
            merged.matched_by.as_deref(),
            Some("account"),
            "the strongest"
        );
    }

    /// Two rounds of Lan's step (the second after a supplement) are two steps, and
    /// another officer's step is no twin of hers.
    #[test]
    fn rounds_and_other_officers_are_not_twins() {
        let mut other = step(3, Some(2), Some(6));
        other.handler_account = Some("hoa".into());
        other.key = Some("a:hoa|tham dinh|20260302090000".into());
        let steps = [step(1, Some(2), Some(4)), step(2, Some(5), Some(6)), other];
        assert_eq!(twins(&steps), vec![]);
        // Nor is a round begun after the other was done, sent without its start.
        let steps = [step(1, Some(2), Some(4)), step(2, None, Some(6))];
        assert_eq!(twins(&steps), vec![]);
    }

    /// An open entry fits both of two rounds: it is not merged into either.
    #[test]
    fn a_chain_is_left_alone() {
        let steps = [
            step(1, Some(2), Some(4)),
            step(2, None, None),
            step(3, Some(5), Some(6)),
        ];
        assert_eq!(twins(&steps), vec![Twins::Unsure(vec![10, 20, 30])]);
    }

    /// The disputed twin is the one kept, with its officer; two disputes wait for a person.
    #[test]
    fn a_dispute_keeps_its_step() {
        let mut second = step(2, None, Some(6));
        second.disputed = true;
        second.staff_id = Some(8);
        second.matched_by = Some("name".into());
        let steps = [step(1, Some(2), Some(6)), second.clone()];
        let found = twins(&steps);
        let (merged, dropped) = merge_of(&found);
        assert_eq!((merged.id, dropped), (20, &[10][..]));
        assert_eq!((merged.staff_id, merged.disputed), (Some(8), true));
        assert_eq!(merged.received_at, Some(at(2, 9)), "the log's start still");
        let mut first = step(1, Some(2), Some(6));
        first.disputed = true;
        assert_eq!(twins(&[first, second]), vec![Twins::Disputed(vec![10, 20])]);
    }

    /// What the step says is what the send that changed it last said, whichever step
    /// that send updated: here the first form, sent again with a new deadline after the
    /// twin was made.
    #[test]
    fn the_latest_send_is_the_step_changed_last() {
        let mut first = step(1, Some(2), Some(6));
        first.due_at = Some(at(5, 17));
        first.updated_at = at(9, 8);
        let found = twins(&[first, step(2, None, Some(6))]);
        let (merged, _) = merge_of(&found);
        assert_eq!(merged.due_at, Some(at(5, 17)));
        assert_eq!(merged.updated_at, at(9, 8));
    }

    /// A step imported by file, with no log key, and the feed's step that is it: one step,
    /// the file's, with the feed's key (the file's start in it when the log gave none) and
    /// what the log said. Another officer's step, or another round, is no twin of it; two
    /// steps of the file are never twins.
    #[test]
    fn a_step_imported_by_file_and_its_feed_twin_are_one() {
        let file = |no: i32, start: u32, done: u32| Stored {
            key: None,
            handler_name: None,
            handler_account: None,
            action: None,
            matched_by: None,
            ..step(no, Some(start), Some(done))
        };
        let found = twins(&[file(1, 2, 6), step(2, None, Some(6))]);
        let (merged, dropped) = merge_of(&found);
        assert_eq!((merged.id, dropped), (10, &[20][..]));
        // 2 March 09:00 UTC is 16:00 in Hà Nội.
        assert_eq!(
            merged.key.as_deref(),
            Some("a:lannt|tham dinh|file@20260302160000")
        );
        assert_eq!(merged.received_at, Some(at(2, 9)));
        assert_eq!(merged.action.as_deref(), Some("Thẩm định"));
        assert_eq!(merged.matched_by.as_deref(), Some("account"));

        let mut other = step(2, None, Some(6));
        other.staff_id = Some(8);
        assert_eq!(twins(&[file(1, 2, 6), other]), vec![]);
        assert_eq!(twins(&[file(1, 2, 4), step(2, None, Some(6))]), vec![]);
        assert_eq!(twins(&[file(1, 2, 6), file(2, 2, 6)]), vec![]);
        // An open feed step with an action of its own is the officer holding the file
        // for another task, not the file's step done.
        let mut holding = step(2, None, None);
        holding.action = Some("Trả kết quả".into());
        assert_eq!(twins(&[file(1, 2, 6), holding]), vec![]);
        // One feed step fitting two steps of the file: left alone.
        let found = twins(&[file(1, 2, 6), file(2, 3, 6), step(3, None, Some(6))]);
        assert_eq!(found, vec![Twins::Unsure(vec![10, 20, 30])]);
    }

    /// Two file steps of one officer begun at the same instant, each with its feed twin
    /// done at another time: two steps, and only the first takes the key with the file's
    /// start (the key is unique in the dossier).
    #[test]
    fn two_merges_never_take_one_key() {
        let file = |no: i32, done: u32| Stored {
            key: None,
            handler_name: None,
            handler_account: None,
            action: None,
            matched_by: None,
            ..step(no, Some(2), Some(done))
        };
        let found = twins(&[
            file(1, 5),
            file(2, 6),
            step(3, None, Some(5)),
            step(4, None, Some(6)),
        ]);
        let keys: Vec<Option<String>> = found
            .iter()
            .map(|t| match t {
                Twins::Merge { merged, .. } => merged.key.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                Some("a:lannt|tham dinh|file@20260302160000".to_owned()),
                Some("a:lannt|tham dinh|done@20260306100000".to_owned())
            ]
        );
    }

    /// A step no attribution reached takes its twin's officer.
    #[test]
    fn an_attribution_is_kept_from_either_twin() {
        let mut first = step(1, Some(2), Some(6));
        (first.staff_id, first.unit_id, first.matched_by) = (None, None, None);
        first.handler_issue = Some("unknown".into());
        let found = twins(&[first, step(2, None, Some(6))]);
        let (merged, _) = merge_of(&found);
        assert_eq!(
            (
                merged.staff_id,
                merged.unit_id,
                merged.handler_issue.as_deref()
            ),
            (Some(7), Some(3), None)
        );
    }
}
