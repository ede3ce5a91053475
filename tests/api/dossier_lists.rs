//! A person's dossier list (`GET /dossiers?staff_id=`): their steps, as their tally counts
//! them, and nothing of other units' officers.

use serde_json::{Value, json};

use crate::both;
use crate::dossiers::{HEADER, import_csv, imported};
use crate::helpers::Backend;
use crate::onestop_fixes::ago;

fn codes_and_steps(list: &Value) -> Vec<(String, Vec<i64>)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let steps = d["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["step_no"].as_i64().unwrap())
                .collect();
            (d["code"].as_str().unwrap().to_owned(), steps)
        })
        .collect()
}

/// HS-3 is A's dossier; its second step was S-B's. B's head reads S-B, not A: they see
/// S-B's step of it, not which of A's officers did the first.
async fn a_persons_list_shows_other_units_steps_to_none(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let (status, body) = app
        .post(
            w.token("root"),
            "/api/v1/users",
            json!({"username": "head_b", "password": "mat-khau-dai-du",
                   "roles": [{"role": "unit_head", "unit_id": w.b.id}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let head_b = app.token("head_b", "mat-khau-dai-du").await;
    let of_b = format!(
        "/api/v1/dossiers?staff_id={}&from=2026-03-01&to=2026-03-31",
        w.member_b.id
    );
    let (status, list) = app.get(&head_b, &of_b).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        codes_and_steps(&list),
        vec![("HS-3".to_owned(), vec![2])],
        "{list}"
    );
    assert_eq!(list["items"][0]["steps"][0]["staff_id"], w.member_b.id);
    // Whoever reads A reads the dossier whole.
    let (_, whole) = app.get(w.token("admin_p"), &of_b).await;
    assert_eq!(
        codes_and_steps(&whole),
        vec![("HS-3".to_owned(), vec![1, 2])]
    );
}

/// `late` asks about the person's steps, as `/stats/dossiers?staff_id=` counts them: A's
/// head finished both their steps on time, though both dossiers were late through others.
async fn a_persons_late_list_is_of_their_own_late_steps(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let root = w.token("root");
    let list = |who: i64, late: bool| {
        format!("/api/v1/dossiers?staff_id={who}&from=2026-03-01&to=2026-03-31&late={late}")
    };
    let codes =
        |v: &Value| -> Vec<String> { codes_and_steps(v).into_iter().map(|(c, _)| c).collect() };
    let (_, late) = app.get(root, &list(w.head_a.id, true)).await;
    assert_eq!(codes(&late), Vec::<String>::new(), "{late}");
    let (_, on_time) = app.get(root, &list(w.head_a.id, false)).await;
    let mut on_time = codes(&on_time);
    on_time.sort();
    assert_eq!(on_time, vec!["HS-1", "HS-3"]);
    let (_, late) = app.get(root, &list(w.member_a1.id, true)).await;
    assert_eq!(codes(&late), vec!["HS-1"]);
    let (_, stats) = app
        .get(
            root,
            &format!(
                "/api/v1/stats/dossiers?staff_id={}&from=2026-03-01&to=2026-03-31",
                w.head_a.id
            ),
        )
        .await;
    assert_eq!(
        (stats["handled"].as_i64(), stats["late"].as_i64()),
        (Some(2), Some(0))
    );
}

/// A step paused for the citizen's supplement is neither late nor on time: the person's
/// tally leaves it out, and so do their late and on-time lists.
async fn a_paused_step_is_in_neither_late_list(b: Backend) {
    let Some((app, w)) = imported(b).await else {
        return;
    };
    let file = format!(
        "{HEADER},supplement_requested_at\nHS-P,Cấp giấy phép xây dựng,A,{},{},,awaiting_supplement,1,S-A1,{},{},,{}\n",
        ago(10, 8),
        ago(2, 17),
        ago(10, 9),
        ago(5, 17),
        ago(6, 9)
    );
    let (s, report) = import_csv(&app, w.token("admin_p"), file.into_bytes(), "text/csv").await;
    assert_eq!((s, report["created"].as_i64()), (200, Some(1)), "{report}");
    let today = crate::attendance::today();
    let list = |late: &str| {
        format!(
            "/api/v1/dossiers?staff_id={}&from={}&to={today}{late}",
            w.member_a1.id,
            today - chrono::Duration::days(30)
        )
    };
    let root = w.token("root");
    let codes =
        |v: &Value| -> Vec<String> { codes_and_steps(v).into_iter().map(|(c, _)| c).collect() };
    let (_, all) = app.get(root, &list("")).await;
    assert_eq!(codes(&all), vec!["HS-P"], "{all}");
    assert_eq!(all["items"][0]["steps"][0]["outcome"], "paused", "{all}");
    for late in ["&late=true", "&late=false"] {
        let (_, v) = app.get(root, &list(late)).await;
        assert_eq!(codes(&v), Vec::<String>::new(), "{late}: {v}");
    }
}

both!(
    a_paused_step_is_in_neither_late_list,
    a_persons_list_shows_other_units_steps_to_none,
    a_persons_late_list_is_of_their_own_late_steps,
);
