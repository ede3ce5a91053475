//! Reading a policy document: the TOML as written (spans kept where a value is checked
//! beyond its type) and the checks that turn it into a `Policy`, each naming the line of
//! the problem.

use std::ops::Range;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use super::policy::{
    Accountability, Metric, Op, Policy, PolicyError, PolicyKind, Quota, QuotaBase, Regime,
    RepeatPolicy, Rule, UnitMetric, UnitRule,
};
use crate::domain::codes::{Rating, ReformRanking, StaffCategory};

// The document as written: spans kept where a value is checked beyond its type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    code: Spanned<String>,
    name: String,
    kind: Spanned<PolicyKind>,
    province: Option<Spanned<String>>,
    effective_from: Spanned<String>,
    effective_to: Option<Spanned<String>>,
    categories: Spanned<Vec<StaffCategory>>,
    regime: Option<Regime>,
    default_rating: Option<Rating>,
    quota: Option<QuotaDoc>,
    #[serde(default)]
    absence_leave_kinds: Vec<String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleDoc>,
    reform_bands: Option<Spanned<BandsDoc>>,
    #[serde(default, rename = "unit_rule")]
    unit_rules: Vec<UnitRuleDoc>,
    accountability: Option<AccountabilityDoc>,
    #[serde(default, rename = "repeat")]
    repeats: Vec<RepeatDoc>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepeatDoc {
    name: Spanned<String>,
    codes: Spanned<Vec<String>>,
    count: Spanned<i64>,
    window_days: Option<Spanned<i64>>,
    /// `"month"`: the calendar month.
    window: Option<Spanned<String>>,
    escalate_after_days: Option<Spanned<i64>>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaDoc {
    ratio: Spanned<f64>,
    base: QuotaBase,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandsDoc {
    good: i64,
    fair: i64,
    average: i64,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RuleKind {
    Threshold,
    DisciplineInYear,
    ShortService,
    LawfulAbsence,
    FindingCodes,
    ScoreBands,
}

// One flat table per rule: serde's tagged enums would lose the spans that name lines.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    kind: Spanned<RuleKind>,
    name: String,
    source: String,
    metric: Option<Metric>,
    op: Option<Op>,
    threshold: Option<Spanned<f64>>,
    max_rating: Option<Rating>,
    rating: Option<Rating>,
    below_months: Option<Spanned<i64>>,
    from_months: Option<i64>,
    excellent: Option<i64>,
    completed_well: Option<i64>,
    completed: Option<Spanned<i64>>,
    codes: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitRuleDoc {
    name: String,
    metric: UnitMetric,
    op: Op,
    threshold: Spanned<f64>,
    max_ranking: ReformRanking,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountabilityDoc {
    ranking: ReformRanking,
    consecutive_years: Spanned<i64>,
    single_year_ranking: ReformRanking,
    party_excellent_requires: Option<ReformRanking>,
    source: String,
}

const LEAVE_KINDS: &[&str] = &[
    "annual",
    "sick",
    "maternity",
    "business_trip",
    "study",
    "personal",
    "other",
];

/// Parses and checks a policy document.
/// A document sent to be stored: `parse`, and what a new version may not say. Stored
/// versions are read with `parse` alone, so one stored before a check was added is still
/// read as it was.
pub fn parse_new(text: &str) -> Result<Policy, PolicyError> {
    let policy = parse(text)?;
    // Years 1900 to 2200, as every date the service takes in: `%Y` reads -5000 as well. A
    // stored version with a far "no end" (9999-12-31) is still read, by `parse`.
    for (name, day) in [
        ("effective_from", Some(policy.effective_from)),
        ("effective_to", policy.effective_to),
    ] {
        if day.is_some_and(|d| !crate::domain::calendar::storable(d)) {
            return Err(PolicyError {
                line: line_containing(text, name),
                message: format!("{name} {}", crate::domain::calendar::NOT_STORABLE),
            });
        }
    }
    // Only the base policy's regime, starting rating, lawful absences and quota are read:
    // in an overlay they would be accepted and silently ignored (a province's own quota
    // of 15 % would leave the national 20 % in force).
    if policy.kind == PolicyKind::Overlay {
        let base_only = [
            ("regime", policy.regime.is_some()),
            ("default_rating", policy.default_rating.is_some()),
            (
                "absence_leave_kinds",
                !policy.absence_leave_kinds.is_empty(),
            ),
            ("[quota]", policy.quota.is_some()),
        ];
        if let Some((name, _)) = base_only.iter().find(|(_, given)| *given) {
            return Err(PolicyError {
                line: line_containing(text, name.trim_matches(['[', ']'])),
                message: format!(
                    "{name} is read from the base policy only; an overlay cannot change it"
                ),
            });
        }
    }
    // A repeat rule is known by its policy and name (what it counted, its notices): two of
    // one name took the same violations under one key, and the second notice's insert
    // broke a unique index, failing the province's nightly close every night after.
    for (i, r) in policy.repeats.iter().enumerate() {
        if policy.repeats[..i].iter().any(|p| p.name == r.name) {
            let named = format!("{:?}", r.name);
            let line = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with("name") && l.contains(&named))
                .nth(1)
                .map_or(1, |(n, _)| n + 1);
            return Err(PolicyError {
                line,
                message: format!("another repeat rule is named {named}: each needs its own name"),
            });
        }
    }
    // The decrees say "20 %", and an author may well write the fraction 0.2, which read
    // as a percent lets one person in 500 be excellent and caps everyone else without a
    // word. No real quota lies strictly between 0 % and 1 %, so such a value is refused
    // rather than guessed at.
    if let Some(q) = &policy.quota
        && q.ratio > 0.0
        && q.ratio < 1.0
    {
        let percent = q.ratio * 100.0;
        return Err(PolicyError {
            line: text
                .lines()
                .position(|l| l.trim_start().starts_with("ratio"))
                .map_or(1, |i| i + 1),
            message: format!(
                "quota ratio {} is a percent and would allow {} %; write {percent} for {percent} %",
                q.ratio, q.ratio
            ),
        });
    }
    Ok(policy)
}

pub fn parse(text: &str) -> Result<Policy, PolicyError> {
    let line_of = |span: Range<usize>| {
        text.get(..span.start)
            .map_or(1, |before| before.matches('\n').count() + 1)
    };
    let at = |span: Range<usize>, message: String| PolicyError {
        line: line_of(span),
        message,
    };
    let doc: Doc = toml::from_str(text).map_err(|e| PolicyError {
        line: e.span().map_or(1, line_of),
        message: e.message().to_owned(),
    })?;
    let code_ok = |c: &str| {
        (1..=60).contains(&c.len())
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    if !code_ok(doc.code.get_ref()) {
        return Err(at(
            doc.code.span(),
            "code must be 1–60 lowercase letters, digits, '-' or '_'".into(),
        ));
    }
    let date = |s: &Spanned<String>| {
        NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d").map_err(|_| {
            at(
                s.span(),
                format!("{:?} is not a date (YYYY-MM-DD)", s.get_ref()),
            )
        })
    };
    let effective_from = date(&doc.effective_from)?;
    let effective_to = doc.effective_to.as_ref().map(date).transpose()?;
    if let (Some(to), Some(span)) = (effective_to, doc.effective_to.as_ref().map(Spanned::span))
        && to < effective_from
    {
        return Err(at(span, "effective_to is before effective_from".into()));
    }
    if doc.categories.get_ref().is_empty() {
        return Err(at(
            doc.categories.span(),
            "categories lists no category".into(),
        ));
    }
    let kind = *doc.kind.get_ref();
    match (kind, doc.regime, doc.default_rating) {
        (PolicyKind::Base, None, _) => {
            return Err(at(
                doc.kind.span(),
                "a base policy needs regime (nd90 or nd335)".into(),
            ));
        }
        (PolicyKind::Base, Some(Regime::Nd90), None) => {
            return Err(at(
                doc.kind.span(),
                "an nd90 base policy needs default_rating".into(),
            ));
        }
        _ => {}
    }
    for k in &doc.absence_leave_kinds {
        if !LEAVE_KINDS.contains(&k.as_str()) {
            return Err(PolicyError {
                line: line_containing(text, "absence_leave_kinds"),
                message: format!("absence_leave_kinds: unknown leave kind {k:?}"),
            });
        }
    }
    let quota = match doc.quota {
        Some(q) => {
            let ratio = *q.ratio.get_ref();
            if !(0.0..=100.0).contains(&ratio) {
                return Err(at(
                    q.ratio.span(),
                    "quota ratio must be 0–100 (percent)".into(),
                ));
            }
            Some(Quota {
                ratio,
                base: q.base,
            })
        }
        None => None,
    };
    let mut rules = Vec::new();
    for r in doc.rules {
        if *r.kind.get_ref() == RuleKind::ScoreBands
            && !(kind == PolicyKind::Base && doc.regime == Some(Regime::Nd335))
        {
            return Err(at(
                r.kind.span(),
                "score_bands belong in an nd335 base policy".into(),
            ));
        }
        rules.push(rule(r, &at)?);
    }
    let reform_bands = match doc.reform_bands {
        Some(b) => {
            let span = b.span();
            let b = b.into_inner();
            if !(0 < b.average && b.average < b.fair && b.fair < b.good && b.good <= 100) {
                return Err(at(
                    span,
                    "reform bands must rise: 0 < average < fair < good ≤ 100".into(),
                ));
            }
            Some(vec![
                (ReformRanking::Good, b.good),
                (ReformRanking::Fair, b.fair),
                (ReformRanking::Average, b.average),
            ])
        }
        None => None,
    };
    let mut unit_rules = Vec::new();
    for r in doc.unit_rules {
        unit_rules.push(UnitRule {
            threshold_centi: centi(&r.threshold, true, &at)?,
            name: r.name,
            metric: r.metric,
            op: r.op,
            max_ranking: r.max_ranking,
            source: r.source,
        });
    }
    let accountability = match doc.accountability {
        Some(a) => {
            if !(1..=5).contains(a.consecutive_years.get_ref()) {
                return Err(at(
                    a.consecutive_years.span(),
                    "consecutive_years must be 1–5".into(),
                ));
            }
            Some(Accountability {
                ranking: a.ranking,
                consecutive_years: *a.consecutive_years.get_ref(),
                single_year_ranking: a.single_year_ranking,
                party_excellent_requires: a.party_excellent_requires,
                source: a.source,
            })
        }
        None => None,
    };
    let mut repeats = Vec::new();
    for r in doc.repeats {
        repeats.push(repeat(r, &at)?);
    }
    Ok(Policy {
        repeats,
        code: doc.code.into_inner(),
        name: doc.name,
        kind,
        province: doc.province.map(Spanned::into_inner),
        effective_from,
        effective_to,
        categories: doc.categories.into_inner(),
        regime: doc.regime,
        default_rating: doc.default_rating,
        quota,
        absence_leave_kinds: doc.absence_leave_kinds,
        rules,
        reform_bands,
        unit_rules,
        accountability,
        source: doc.source,
    })
}

/// One repeat rule: codes, a count and exactly one window.
fn repeat(
    r: RepeatDoc,
    at: &impl Fn(Range<usize>, String) -> PolicyError,
) -> Result<RepeatPolicy, PolicyError> {
    if r.codes.get_ref().is_empty() {
        return Err(at(r.codes.span(), "codes lists no violation code".into()));
    }
    if !(1..=50).contains(r.count.get_ref()) {
        return Err(at(r.count.span(), "count must be 1–50".into()));
    }
    let window_days = match (&r.window_days, &r.window) {
        (Some(days), None) => {
            if !(1..=366).contains(days.get_ref()) {
                return Err(at(days.span(), "window_days must be 1–366".into()));
            }
            Some(*days.get_ref() as u32)
        }
        (None, Some(w)) if w.get_ref() == "month" => None,
        (None, Some(w)) => {
            return Err(at(
                w.span(),
                format!(
                    "window {:?}: the only named window is \"month\"",
                    w.get_ref()
                ),
            ));
        }
        _ => {
            return Err(at(
                r.name.span(),
                "give either window_days or window = \"month\"".into(),
            ));
        }
    };
    let escalate_after_days = match r.escalate_after_days {
        Some(d) if !(1..=90).contains(d.get_ref()) => {
            return Err(at(d.span(), "escalate_after_days must be 1–90".into()));
        }
        Some(d) => Some(*d.get_ref() as u32),
        None => None,
    };
    Ok(RepeatPolicy {
        name: r.name.into_inner(),
        codes: r.codes.into_inner(),
        count: *r.count.get_ref() as usize,
        window_days,
        escalate_after_days,
        source: r.source,
    })
}

/// One rule, with what its kind needs.
fn rule(
    r: RuleDoc,
    at: &impl Fn(Range<usize>, String) -> PolicyError,
) -> Result<Rule, PolicyError> {
    let kind_span = r.kind.span();
    let need = |what: &str| at(kind_span.clone(), format!("this rule needs {what}"));
    Ok(match r.kind.into_inner() {
        RuleKind::Threshold => {
            let metric = r.metric.ok_or_else(|| need("metric"))?;
            let threshold = r.threshold.ok_or_else(|| need("threshold"))?;
            Rule::Threshold {
                threshold_centi: centi(&threshold, metric.is_percent(), at)?,
                name: r.name,
                metric,
                op: r.op.ok_or_else(|| need("op"))?,
                max_rating: r.max_rating.ok_or_else(|| need("max_rating"))?,
                source: r.source,
            }
        }
        RuleKind::DisciplineInYear => Rule::DisciplineInYear {
            name: r.name,
            rating: r.rating.ok_or_else(|| need("rating"))?,
            source: r.source,
        },
        RuleKind::ShortService => {
            let below = r.below_months.ok_or_else(|| need("below_months"))?;
            if !(1..=12).contains(below.get_ref()) {
                return Err(at(below.span(), "below_months must be 1–12".into()));
            }
            Rule::ShortService {
                name: r.name,
                below_months: *below.get_ref(),
                source: r.source,
            }
        }
        RuleKind::LawfulAbsence => {
            let below = r.below_months.ok_or_else(|| need("below_months"))?;
            let from = r.from_months.ok_or_else(|| need("from_months"))?;
            if !(0..*below.get_ref()).contains(&from) || *below.get_ref() > 12 {
                return Err(at(
                    below.span(),
                    "from_months must be below below_months, both within 0–12".into(),
                ));
            }
            Rule::LawfulAbsence {
                name: r.name,
                from_months: from,
                below_months: *below.get_ref(),
                max_rating: r.max_rating.ok_or_else(|| need("max_rating"))?,
                source: r.source,
            }
        }
        RuleKind::FindingCodes => {
            let codes = r.codes.ok_or_else(|| need("codes"))?;
            if codes.get_ref().is_empty() {
                return Err(at(codes.span(), "codes lists no violation code".into()));
            }
            Rule::FindingCodes {
                name: r.name,
                codes: codes.into_inner(),
                max_rating: r.max_rating.ok_or_else(|| need("max_rating"))?,
                source: r.source,
            }
        }
        RuleKind::ScoreBands => {
            let excellent = r.excellent.ok_or_else(|| need("excellent"))?;
            let completed_well = r.completed_well.ok_or_else(|| need("completed_well"))?;
            let completed = r.completed.ok_or_else(|| need("completed"))?;
            let c = *completed.get_ref();
            if !(0 < c && c < completed_well && completed_well < excellent && excellent <= 100) {
                return Err(at(
                    completed.span(),
                    "score bands must rise: 0 < completed < completed_well < excellent ≤ 100"
                        .into(),
                ));
            }
            Rule::ScoreBands {
                name: r.name,
                excellent,
                completed_well,
                completed: c,
                source: r.source,
            }
        }
    })
}

/// A threshold in hundredths, refusing what the metric cannot take and more than two
/// decimals (which would be silently rounded otherwise).
fn centi(
    t: &Spanned<f64>,
    percent: bool,
    at: &impl Fn(Range<usize>, String) -> PolicyError,
) -> Result<i64, PolicyError> {
    let v = *t.get_ref();
    if !v.is_finite() || v < 0.0 || (percent && v > 100.0) {
        return Err(at(
            t.span(),
            if percent {
                format!("threshold {v} must be a percentage, 0–100")
            } else {
                format!("threshold {v} must not be negative")
            },
        ));
    }
    let scaled = v * 100.0;
    if (scaled - scaled.round()).abs() > 1e-6 {
        return Err(at(
            t.span(),
            format!("threshold {v} has more than two decimals"),
        ));
    }
    Ok(scaled.round() as i64)
}

fn line_containing(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}
