// One hand-maintained schema for both backends, using only types that bind and load the
// same through `AnyConnection` (STACK.md §3): BigInt ids, Text, Bool, Date and naive UTC
// Timestamps.

diesel::table! {
    units (id) {
        id -> BigInt,
        province_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        code -> Text,
        name -> Text,
        kind -> Text,
        path -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        attendance_from -> Nullable<Date>,
    }
}

diesel::table! {
    staff (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        code -> Text,
        full_name -> Text,
        category -> Text,
        position -> Nullable<Text>,
        email -> Nullable<Text>,
        is_head -> Bool,
        joined_on -> Nullable<Date>,
        left_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        unit_since -> Nullable<Date>,
        known_from -> Nullable<Date>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        province_id -> Nullable<BigInt>,
        username -> Text,
        password_hash -> Text,
        staff_id -> Nullable<BigInt>,
        is_active -> Bool,
        credentials_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (id) {
        id -> BigInt,
        user_id -> BigInt,
        province_id -> Nullable<BigInt>,
        role -> Text,
        unit_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        province_id -> Nullable<BigInt>,
        unit_id -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        at -> Timestamp,
        entity -> Text,
        entity_id -> BigInt,
        action -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
    }
}

diesel::joinable!(staff -> units (unit_id));

diesel::table! {
    staff_moves (id) {
        id -> BigInt,
        staff_id -> BigInt,
        from_unit_id -> BigInt,
        moved_on -> Date,
        created_at -> Timestamp,
        was_head -> Nullable<Bool>,
        roles_before -> Nullable<Text>,
        roles_after -> Nullable<Text>,
    }
}
diesel::joinable!(staff_moves -> units (from_unit_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> units (unit_id));

diesel::table! {
    schedules (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        weekdays -> Text,
        sessions -> Text,
        grace_minutes -> Integer,
        punch_mode -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (id) {
        id -> BigInt,
        province_id -> Nullable<BigInt>,
        day -> Date,
        kind -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    leaves (id) {
        id -> BigInt,
        province_id -> BigInt,
        staff_id -> BigInt,
        from_date -> Date,
        to_date -> Date,
        kind -> Text,
        half_day -> Nullable<Text>,
        reason -> Nullable<Text>,
        status -> Text,
        requested_by -> Nullable<BigInt>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    checkins (id) {
        id -> BigInt,
        province_id -> BigInt,
        staff_id -> BigInt,
        at -> Timestamp,
        local_date -> Date,
        direction -> Nullable<Text>,
        source -> Text,
        device_id -> Text,
        idempotency_key -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<BigInt>,
        void_reason -> Nullable<Text>,
    }
}

diesel::table! {
    violations (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        staff_id -> Nullable<BigInt>,
        code -> Text,
        day -> Date,
        minutes -> Nullable<Integer>,
        source -> Text,
        source_ref -> Text,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    job_state (name, province_id) {
        name -> Text,
        province_id -> BigInt,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dossiers (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        code -> Text,
        procedure_name -> Text,
        received_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        status -> Text,
        supplement_requested_at -> Nullable<Timestamp>,
        supplement_received_at -> Nullable<Timestamp>,
        apology_new_due_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dossier_steps (id) {
        id -> BigInt,
        province_id -> BigInt,
        dossier_id -> BigInt,
        step_no -> Integer,
        staff_id -> Nullable<BigInt>,
        unit_id -> Nullable<BigInt>,
        received_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        handler_name -> Nullable<Text>,
        handler_account -> Nullable<Text>,
        action -> Nullable<Text>,
        matched_by -> Nullable<Text>,
        handler_issue -> Nullable<Text>,
        source_key -> Nullable<Text>,
    }
}

diesel::table! {
    staff_handles (id) {
        id -> BigInt,
        province_id -> BigInt,
        staff_id -> BigInt,
        kind -> Text,
        display -> Text,
        value -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_disputes (id) {
        id -> BigInt,
        province_id -> BigInt,
        dossier_id -> BigInt,
        step_id -> BigInt,
        staff_id -> BigInt,
        unit_id -> BigInt,
        reason -> Text,
        status -> Text,
        raised_by -> BigInt,
        raised_at -> Timestamp,
        decide_by -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
    }
}

diesel::table! {
    dispute_evidence (id) {
        id -> BigInt,
        province_id -> BigInt,
        dispute_id -> BigInt,
        sha256 -> Text,
        size_bytes -> BigInt,
        content_type -> Text,
        filename -> Nullable<Text>,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    surveys (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        staff_id -> Nullable<BigInt>,
        dossier_code -> Nullable<Text>,
        submitted_at -> Timestamp,
        satisfied -> Bool,
        score -> Nullable<Integer>,
        comment -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        idempotency_key -> Nullable<Text>,
    }
}

diesel::table! {
    violation_types (id) {
        id -> BigInt,
        province_id -> Nullable<BigInt>,
        code -> Text,
        label_vi -> Text,
        label_en -> Nullable<Text>,
        basis -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    inspections (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        kind -> Text,
        legal_basis -> Nullable<Text>,
        record_no -> Nullable<Text>,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        present_count -> Nullable<Integer>,
        total_count -> Nullable<Integer>,
        unit_representative -> Nullable<Text>,
        refused_to_sign -> Bool,
        summary -> Nullable<Text>,
        status -> Text,
        closed_with_open_findings -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        client_ref -> Nullable<Text>,
    }
}

diesel::table! {
    inspection_team (inspection_id, user_id) {
        inspection_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    findings (id) {
        id -> BigInt,
        province_id -> BigInt,
        inspection_id -> BigInt,
        unit_id -> BigInt,
        staff_id -> Nullable<BigInt>,
        violation_code -> Text,
        observed_at -> Timestamp,
        description -> Text,
        severity -> Nullable<Text>,
        status -> Text,
        explanation_due_at -> Nullable<Timestamp>,
        explanation -> Nullable<Text>,
        explained_at -> Nullable<Timestamp>,
        explained_by -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
        action -> Nullable<Text>,
        action_due_at -> Nullable<Timestamp>,
        discipline_form -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        client_ref -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<BigInt>,
        withdrawn_reason -> Nullable<Text>,
    }
}

diesel::table! {
    evidence (id) {
        id -> BigInt,
        province_id -> BigInt,
        finding_id -> BigInt,
        sha256 -> Text,
        size_bytes -> BigInt,
        content_type -> Text,
        filename -> Nullable<Text>,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    discipline_decisions (id) {
        id -> BigInt,
        province_id -> BigInt,
        staff_id -> BigInt,
        unit_id -> BigInt,
        form -> Text,
        decision_no -> Text,
        decided_on -> Date,
        effective_from -> Date,
        restricted_until -> Nullable<Date>,
        regime -> Text,
        reason -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        management_post -> Nullable<Bool>,
    }
}

diesel::table! {
    discipline_findings (decision_id, finding_id) {
        decision_id -> BigInt,
        finding_id -> BigInt,
    }
}

diesel::table! {
    policies (id) {
        id -> BigInt,
        province_id -> Nullable<BigInt>,
        code -> Text,
        version -> Integer,
        kind -> Text,
        name -> Text,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        document -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    evaluations (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        staff_id -> BigInt,
        period -> Text,
        policy_ids -> Text,
        rated -> Bool,
        proposed_rating -> Nullable<Text>,
        max_rating -> Nullable<Text>,
        metrics -> Text,
        applied_rules -> Text,
        quota_note -> Nullable<Text>,
        previous_proposed_rating -> Nullable<Text>,
        final_rating -> Nullable<Text>,
        reason -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        evaluated_at -> Timestamp,
    }
}

diesel::table! {
    unit_reform (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        year -> Integer,
        score_centi -> Nullable<Integer>,
        ranking -> Nullable<Text>,
        party_rating -> Nullable<Text>,
        reason -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    period_scores (id) {
        id -> BigInt,
        province_id -> BigInt,
        staff_id -> BigInt,
        period -> Text,
        year -> Integer,
        general_centi -> Integer,
        items -> Text,
        manager_centi -> Integer,
        note -> Nullable<Text>,
        entered_by -> Nullable<BigInt>,
        entered_at -> Timestamp,
    }
}

diesel::table! {
    repeat_notices (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        staff_id -> BigInt,
        rule_key -> Text,
        policy_code -> Text,
        rule_name -> Text,
        day -> Date,
        violation_count -> Integer,
        notified -> Bool,
        escalate_at -> Nullable<Timestamp>,
        escalated_at -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<BigInt>,
        acknowledgement -> Nullable<Text>,
        created_at -> Timestamp,
        about_head -> Bool,
        superseded_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    repeat_notice_violations (notice_id, violation_id) {
        notice_id -> BigInt,
        violation_id -> BigInt,
        rule_key -> Text,
        source_key -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        province_id -> BigInt,
        unit_id -> BigInt,
        kind -> Text,
        notice_id -> Nullable<BigInt>,
        recipient_staff_id -> Nullable<BigInt>,
        recipient_email -> Nullable<Text>,
        dedupe_key -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        message_id -> Text,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        until -> Timestamp,
    }
}

diesel::joinable!(dossier_steps -> dossiers (dossier_id));
diesel::joinable!(dossier_disputes -> dossier_steps (step_id));
diesel::joinable!(dossiers -> units (unit_id));
diesel::joinable!(staff_handles -> staff (staff_id));
diesel::joinable!(leaves -> staff (staff_id));
diesel::joinable!(checkins -> staff (staff_id));
diesel::joinable!(schedules -> units (unit_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    staff,
    users,
    user_roles,
    audit_log,
    schedules,
    calendar_days,
    leaves,
    checkins,
    violations,
    job_state,
    dossiers,
    dossier_steps,
    surveys,
    violation_types,
    inspections,
    inspection_team,
    findings,
    evidence,
    discipline_decisions,
    discipline_findings,
    policies,
    evaluations,
    unit_reform,
    period_scores,
    repeat_notices,
    repeat_notice_violations,
    notifications,
    job_leases,
    staff_handles,
    dossier_disputes,
    dispute_evidence,
    staff_moves
);
