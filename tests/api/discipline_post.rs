//! A disciplinary decision states whether the person holds a management post.

use serde_json::json;

use crate::both;
use crate::helpers::{Backend, TestApp};

/// A deputy head (whom congvu knows only as a member of the unit) may be dismissed from
/// their post (cách chức) when the decision says they hold one; before, only heads of a
/// unit could. Without it, the forms of staff without a post apply; a head always holds
/// one.
async fn a_deputys_decision_states_the_management_post(b: Backend) {
    let Some((app, w)) = TestApp::with_world(b).await else {
        return;
    };
    let decision = |staff: i64, no: &str| {
        json!({"staff_id": staff, "form": "cach_chuc", "decision_no": no,
               "decided_on": "2026-03-25", "effective_from": "2026-03-25",
               "reason": "Để xảy ra tham nhũng trong đơn vị được giao phụ trách"})
    };
    let hr = w.token("hr_a");
    let (s, body) = app
        .post(hr, "/api/v1/discipline", decision(w.member_a1.id, "07/QĐ"))
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["form"].is_array(), "{body}");
    let mut deputy = decision(w.member_a1.id, "07/QĐ");
    deputy["management_post"] = json!(true);
    let (s, made) = app.post(hr, "/api/v1/discipline", deputy).await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["management_post"], true, "{made}");
    let (s, list) = app
        .get(
            hr,
            &format!("/api/v1/discipline?staff_id={}", w.member_a1.id),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"][0]["management_post"], true, "{list}");

    let mut head = decision(w.head_a.id, "08/QĐ");
    head["management_post"] = json!(false);
    let (s, body) = app.post(hr, "/api/v1/discipline", head).await;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["management_post"].is_array(), "{body}");
    let (s, made) = app
        .post(hr, "/api/v1/discipline", decision(w.head_a.id, "08/QĐ"))
        .await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["management_post"], true, "{made}");
}

both!(a_deputys_decision_states_the_management_post);
