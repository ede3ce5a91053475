//! The messages' Vietnamese subject, plain text and HTML, rendered by minijinja from
//! the entry's payload (fixed when the notice was made). HTML templates escape what they
//! show; subjects are one line.

use std::sync::LazyLock;

use minijinja::{Environment, Value};

use crate::domain::codes::NotificationKind;

const TEMPLATES: &[(&str, &str)] = &[
    ("_violations.txt", include_str!("templates/_violations.txt")),
    (
        "_violations.html",
        include_str!("templates/_violations.html"),
    ),
    (
        "repeat.subject.txt",
        include_str!("templates/repeat.subject.txt"),
    ),
    ("repeat.txt", include_str!("templates/repeat.txt")),
    ("repeat.html", include_str!("templates/repeat.html")),
    (
        "escalation.subject.txt",
        include_str!("templates/escalation.subject.txt"),
    ),
    ("escalation.txt", include_str!("templates/escalation.txt")),
    ("escalation.html", include_str!("templates/escalation.html")),
    (
        "digest.subject.txt",
        include_str!("templates/digest.subject.txt"),
    ),
    ("digest.txt", include_str!("templates/digest.txt")),
    ("digest.html", include_str!("templates/digest.html")),
    (
        "dispute.subject.txt",
        include_str!("templates/dispute.subject.txt"),
    ),
    ("dispute.txt", include_str!("templates/dispute.txt")),
    ("dispute.html", include_str!("templates/dispute.html")),
];

/// `2026-03-02` (or an RFC 3339 time) as Vietnamese write it: `02/03/2026`.
fn vn_date(value: String) -> String {
    let day = value.get(..10).unwrap_or(&value);
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => d.format("%d/%m/%Y").to_string(),
        Err(_) => value,
    }
}

static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_filter("vn_date", vn_date);
    for (name, text) in TEMPLATES {
        env.add_template(name, text)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
});

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One part of a message: the template `<kind>.<suffix>` over the payload, with
/// `notification_id` and `link_base` for the links.
fn part(
    kind: NotificationKind,
    suffix: &str,
    payload: &serde_json::Value,
    notification_id: i64,
    link_base: &str,
) -> Result<String, String> {
    let env = ENV.as_ref().map_err(Clone::clone)?;
    let mut context = payload.clone();
    if let Some(map) = context.as_object_mut() {
        map.insert("notification_id".into(), notification_id.into());
        map.insert(
            "link_base".into(),
            link_base.trim_end_matches('/').to_owned().into(),
        );
    }
    let name = format!("{}.{suffix}", kind.code());
    env.get_template(&name)
        .and_then(|t| t.render(Value::from(minijinja::value::Serde(&context))))
        .map_err(|e| format!("template {name}: {e}"))
}

/// The subject line alone (what a list of messages shows), on one line.
pub fn subject(
    kind: NotificationKind,
    payload: &serde_json::Value,
    notification_id: i64,
    link_base: &str,
) -> Result<String, String> {
    let text = part(kind, "subject.txt", payload, notification_id, link_base)?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The plain-text body alone.
pub fn text(
    kind: NotificationKind,
    payload: &serde_json::Value,
    notification_id: i64,
    link_base: &str,
) -> Result<String, String> {
    part(kind, "txt", payload, notification_id, link_base)
}

/// The whole message of an entry of `kind`.
pub fn render(
    kind: NotificationKind,
    payload: &serde_json::Value,
    notification_id: i64,
    link_base: &str,
) -> Result<Rendered, String> {
    Ok(Rendered {
        subject: subject(kind, payload, notification_id, link_base)?,
        text: text(kind, payload, notification_id, link_base)?,
        html: part(kind, "html", payload, notification_id, link_base)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repeat_payload() -> serde_json::Value {
        json!({
            "notice_id": 7,
            "person": {"id": 12, "code": "KHA-001", "full_name": "Nguyễn Văn An", "position": "Chuyên viên", "is_head": false},
            "unit": {"id": 4, "code": "KHA-SNV-CCHC", "name": "Phòng Cải cách hành chính"},
            "rule": {"name": "Đi muộn 3 lần trong 30 ngày", "source": "Chỉ thị 26/CT-TTg", "policy_code": "vn-repeats",
                     "count": 3, "window": "trong 30 ngày", "escalate_after_days": 7},
            "day": "2026-03-20",
            "violations": [
                {"id": 1, "code": "late", "label": "Đi muộn", "day": "2026-03-02", "minutes": 25, "detail": null, "source": "attendance"},
                {"id": 2, "code": "late", "label": "Đi muộn", "day": "2026-03-09", "minutes": 40, "detail": null, "source": "attendance"},
                {"id": 3, "code": "late", "label": "Đi muộn", "day": "2026-03-20", "minutes": 12, "detail": "<b>x</b>", "source": "attendance"},
            ],
            "recipient": {"staff_id": 3, "full_name": "Trần Thị Bình", "position": "Trưởng phòng", "unit": {"id": 4}},
        })
    }

    #[test]
    fn a_repeat_notice_in_vietnamese_with_dates_and_links() {
        let r = render(
            NotificationKind::Repeat,
            &repeat_payload(),
            55,
            "https://congvu.example/",
        )
        .unwrap();
        assert_eq!(
            r.subject,
            "[congvu] Vi phạm lặp lại: Nguyễn Văn An (Phòng Cải cách hành chính) — Đi muộn 3 lần trong 30 ngày"
        );
        assert!(
            r.text
                .contains("Kính gửi đồng chí Trần Thị Bình, Trưởng phòng"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("1. 02/03/2026: Đi muộn (25 phút)"),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains("3. 20/03/2026: Đi muộn (12 phút) — <b>x</b>"),
            "{}",
            r.text
        );
        assert!(r.text.contains(
            "https://congvu.example/api/v1/violations?staff_id=12&from=2026-03-02&to=2026-03-20"
        ));
        assert!(
            r.text
                .contains("https://congvu.example/api/v1/notifications/55")
        );
        assert!(r.text.contains("trong 7 ngày"));
        assert!(
            r.html.contains("&lt;b&gt;x&lt;&#x2f;b&gt;") || r.html.contains("&lt;b&gt;x&lt;/b&gt;"),
            "HTML escapes: {}",
            r.html
        );
        assert!(!r.html.contains("<b>x</b>"));
        // A payload from before acts were counted says as many as it lists.
        assert!(
            r.text.contains("đã vi phạm 3 lần trong 30 ngày"),
            "{}",
            r.text
        );
    }

    #[test]
    fn a_notice_counts_acts_not_records() {
        // An absence the check-ins show and an inspection found: two records, one act.
        let mut p = repeat_payload();
        p["acts"] = json!(2);
        let r = render(NotificationKind::Repeat, &p, 55, "https://congvu.example/").unwrap();
        assert!(
            r.text.contains("đã vi phạm 2 lần trong 30 ngày"),
            "{}",
            r.text
        );
        assert!(
            r.html.contains("đã vi phạm 2 lần trong 30 ngày"),
            "{}",
            r.html
        );
    }

    #[test]
    fn a_notice_names_the_notices_it_supersedes() {
        let mut p = repeat_payload();
        let plain = render(NotificationKind::Repeat, &p, 55, "http://x.example").unwrap();
        assert!(!plain.text.contains("thay cho"), "{}", plain.text);
        p["supersedes"] = json!([]);
        let none = render(NotificationKind::Repeat, &p, 55, "http://x.example").unwrap();
        assert_eq!(none.text, plain.text);
        p["supersedes"] = json!([41]);
        let r = render(NotificationKind::Repeat, &p, 55, "http://x.example").unwrap();
        for body in [&r.text, &r.html] {
            assert!(body.contains("thay cho thông báo số 41"), "{body}");
        }
    }

    #[test]
    fn escalations_and_digests_render() {
        let mut p = repeat_payload();
        p["escalation"] = json!({"told": [{"full_name": "Trần Thị Bình", "position": "Trưởng phòng"}],
                                 "notified_at": "2026-03-21T00:30:00+07:00", "after_days": 7});
        let r = render(NotificationKind::Escalation, &p, 56, "http://x.example").unwrap();
        assert!(
            r.subject.starts_with("[congvu] Báo cáo cấp trên"),
            "{}",
            r.subject
        );
        assert!(
            r.text.contains(
                "Ngày 21/03/2026, hệ thống congvu đã báo cáo Trần Thị Bình (Trưởng phòng)"
            ),
            "{}",
            r.text
        );
        assert!(r.text.contains("Sau 7 ngày"));
        // Nobody could be told (no address, or refused): the email does not say they were.
        p["escalation"] = json!({"told": [], "notified_at": null, "after_days": 7});
        let r = render(NotificationKind::Escalation, &p, 56, "http://x.example").unwrap();
        for body in [&r.text, &r.html] {
            assert!(
                body.contains(
                    "Hệ thống congvu chưa gửi được thông báo tới thủ trưởng đơn vị về việc đồng chí"
                ),
                "{body}"
            );
            assert!(!body.contains("đã báo cáo"), "{body}");
        }

        let digest = json!({
            "from": "2026-03-02", "to": "2026-03-08",
            "unit": {"id": 4, "code": "A", "name": "Sở Nội vụ"},
            "recipient": {"staff_id": 3, "full_name": "Trần Thị Bình", "position": null},
            "total": 3, "people_count": 2,
            "by_code": [{"code": "late", "label": "Đi muộn", "count": 2}, {"code": "alcohol", "label": "Uống rượu bia", "count": 1}],
            "people": [{"staff_id": 1, "full_name": "Nguyễn Văn An", "unit_name": "Phòng A", "count": 2,
                        "codes": [{"code": "late", "label": "Đi muộn", "count": 2}]}],
            "open_notices": 1,
        });
        let r = render(NotificationKind::Digest, &digest, 57, "http://x.example").unwrap();
        assert_eq!(
            r.subject,
            "[congvu] Tổng hợp vi phạm tuần 02/03/2026–08/03/2026: Sở Nội vụ"
        );
        assert!(
            r.text.contains("Tổng số: 3 vi phạm của 2 người."),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("1. Nguyễn Văn An (Phòng A): 2 — Đi muộn 2"),
            "{}",
            r.text
        );
        assert!(r.text.contains("… và 1 người khác."), "{}", r.text);
        let mut quiet = digest.clone();
        quiet["total"] = 0.into();
        let r = render(NotificationKind::Digest, &quiet, 58, "http://x.example").unwrap();
        assert!(r.text.contains("Không ghi nhận vi phạm nào"));
    }

    #[test]
    fn a_dispute_tells_the_head_what_to_decide_and_by_when() {
        let p = json!({
            "dispute_id": 9, "decide_by": "2026-03-16", "reason": "Hồ sơ giấy trình đúng hạn",
            "officer": {"id": 3, "full_name": "Nguyễn Thị Lan", "code": "S-A1"},
            "unit": {"id": 4, "name": "Phòng A1"},
            "dossier": {"code": "HS-1", "procedure": "Cấp giấy phép xây dựng"},
            "step": {"step_no": 2, "action": "Thẩm định", "due_at": "2026-03-05", "finished_at": "2026-03-09"},
            "recipient": {"staff_id": 1, "full_name": "Trần Văn Hùng", "position": null}
        });
        let r = render(NotificationKind::Dispute, &p, 60, "http://x.example/").unwrap();
        assert!(
            r.subject.contains("Nguyễn Thị Lan (Phòng A1)"),
            "{}",
            r.subject
        );
        assert!(r.subject.ends_with("16/03/2026"), "{}", r.subject);
        assert!(r.text.contains("hồ sơ HS-1 (Cấp giấy phép xây dựng), hoàn thành ngày 09/03/2026, hạn của bước 05/03/2026"), "{}", r.text);
        assert!(
            r.text.contains("http://x.example/api/v1/disputes/9"),
            "{}",
            r.text
        );
        assert!(r.html.contains("<strong>Trần Văn Hùng</strong>"));
    }
}
