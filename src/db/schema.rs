// @generated automatically by Diesel CLI.

diesel::table! {
    announcements (id) {
        id -> Integer,
        title -> Text,
        body -> Text,
        severity -> Text,
        starts_at -> BigInt,
        ends_at -> Nullable<BigInt>,
        revision -> Integer,
        created_by -> Nullable<Integer>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    answers (id) {
        id -> Integer,
        question_id -> Integer,
        author_id -> Integer,
        body_md -> Text,
        body_html -> Text,
        body_text -> Text,
        score -> Integer,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Integer>,
        submit_key -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        body_format -> Text,
    }
}

diesel::table! {
    article_revisions (id) {
        id -> Integer,
        article_id -> Integer,
        editor_id -> Nullable<Integer>,
        manual_id -> Integer,
        title -> Text,
        weight -> Integer,
        tags -> Text,
        status -> Text,
        outdated_reason -> Nullable<Text>,
        body_md -> Text,
        note -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    articles (id) {
        id -> Integer,
        manual_id -> Integer,
        slug -> Text,
        title -> Text,
        description -> Text,
        tags -> Text,
        weight -> Integer,
        body_md -> Text,
        body_html -> Text,
        body_text -> Text,
        toc_json -> Text,
        outdated_reason -> Nullable<Text>,
        status -> Text,
        source_path -> Nullable<Text>,
        content_hash -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        detached_path -> Nullable<Text>,
        source_question_id -> Nullable<Integer>,
    }
}

diesel::table! {
    assets (id) {
        id -> Integer,
        sha256 -> Text,
        fingerprint -> Text,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        bytes -> Binary,
        source -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    comments (id) {
        id -> Integer,
        question_id -> Integer,
        answer_id -> Nullable<Integer>,
        author_id -> Integer,
        body_md -> Text,
        body_html -> Text,
        body_text -> Text,
        created_at -> BigInt,
        edited_at -> Nullable<BigInt>,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Integer>,
    }
}

diesel::table! {
    drafts (id) {
        id -> Integer,
        user_id -> Nullable<Integer>,
        guest_key -> Nullable<Text>,
        question_id -> Nullable<Integer>,
        title -> Text,
        body -> Text,
        tags -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    feedback (id) {
        id -> Integer,
        target_kind -> Text,
        target_id -> Integer,
        node -> Text,
        visitor_key -> Text,
        user_id -> Nullable<Integer>,
        helpful -> Bool,
        comment -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    flags (id) {
        id -> Integer,
        post_kind -> Text,
        post_id -> Integer,
        reporter_id -> Integer,
        reason -> Text,
        details -> Text,
        status -> Text,
        resolved_by -> Nullable<Integer>,
        resolved_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    follows (id) {
        id -> Integer,
        user_id -> Integer,
        question_id -> Nullable<Integer>,
        tag_id -> Nullable<Integer>,
        following -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    import_map (source, kind, source_id) {
        source -> Text,
        kind -> Text,
        source_id -> BigInt,
        local_id -> Integer,
    }
}

diesel::table! {
    index_nodes (node) {
        node -> Text,
        applied_id -> Integer,
        seen_at -> BigInt,
    }
}

diesel::table! {
    jobs (id) {
        id -> Integer,
        kind -> Text,
        payload -> Text,
        unique_key -> Nullable<Text>,
        run_at -> BigInt,
        attempts -> Integer,
        claimed_by -> Nullable<Text>,
        claim_token -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        runs -> Integer,
        last_run_at -> Nullable<BigInt>,
        last_run_by -> Nullable<Text>,
        dead_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    known_issue_updates (id) {
        id -> Integer,
        issue_id -> Integer,
        body_md -> Text,
        body_html -> Text,
        status -> Nullable<Text>,
        author_id -> Nullable<Integer>,
        created_at -> BigInt,
    }
}

diesel::table! {
    known_issue_followers (id) {
        id -> Integer,
        issue_id -> Integer,
        user_id -> Nullable<Integer>,
        address -> Nullable<Text>,
        address_key -> Nullable<Text>,
        confirm_hash -> Nullable<Text>,
        confirm_expires -> Nullable<BigInt>,
        confirmed_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    known_issues (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        symptoms_md -> Text,
        symptoms_html -> Text,
        symptoms_text -> Text,
        workaround_md -> Text,
        workaround_html -> Text,
        versions -> Text,
        platforms -> Text,
        tags -> Text,
        articles -> Text,
        trees -> Text,
        terms -> Text,
        status -> Text,
        status_reason -> Text,
        fixed_in -> Text,
        closed_at -> Nullable<BigInt>,
        source_path -> Nullable<Text>,
        content_hash -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    mail_digest_items (notification_id) {
        notification_id -> Integer,
        user_id -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    mail_tokens (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        purpose -> Text,
        address -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    manuals (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        description -> Text,
        intro_html -> Text,
        weight -> Integer,
        source_path -> Nullable<Text>,
        content_hash -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> Integer,
        user_id -> Integer,
        kind -> Text,
        question_id -> Nullable<Integer>,
        answer_id -> Nullable<Integer>,
        actor_id -> Nullable<Integer>,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
        comment_id -> Nullable<Integer>,
        known_issue_id -> Nullable<Integer>,
    }
}

diesel::table! {
    page_changes (id) {
        id -> Integer,
        scope -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    question_known_issues (question_id) {
        question_id -> Integer,
        issue_id -> Integer,
        linked_by -> Nullable<Integer>,
        linked_at -> BigInt,
    }
}

diesel::table! {
    question_tags (question_id, tag_id) {
        question_id -> Integer,
        tag_id -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    questions (id) {
        id -> Integer,
        author_id -> Integer,
        title -> Text,
        slug -> Text,
        body_md -> Text,
        body_html -> Text,
        body_text -> Text,
        tags -> Text,
        score -> Integer,
        answer_count -> Integer,
        accepted_answer_id -> Nullable<Integer>,
        accepted_by -> Nullable<Integer>,
        accepted_at -> Nullable<BigInt>,
        closed_reason -> Nullable<Text>,
        duplicate_of -> Nullable<Integer>,
        closed_by -> Nullable<Integer>,
        closed_at -> Nullable<BigInt>,
        locked -> Bool,
        pinned -> Bool,
        deleted_at -> Nullable<BigInt>,
        deleted_by -> Nullable<Integer>,
        article_id -> Nullable<Integer>,
        submit_key -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_activity_at -> BigInt,
        body_format -> Text,
        nudged_at -> Nullable<BigInt>,
        unsolved_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        window_start -> BigInt,
        expires_at -> BigInt,
        hits -> Integer,
    }
}

diesel::table! {
    revisions (id) {
        id -> Integer,
        post_kind -> Text,
        post_id -> Integer,
        editor_id -> Integer,
        title -> Nullable<Text>,
        body_md -> Text,
        tags -> Nullable<Text>,
        note -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    search_clicks (id) {
        id -> Integer,
        search_id -> Integer,
        url -> Text,
        position -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    search_log (id) {
        id -> Integer,
        query -> Text,
        kind -> Nullable<Text>,
        result_count -> Integer,
        took_us -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    search_outbox (id) {
        id -> Integer,
        doc_kind -> Text,
        doc_id -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    search_outbox_state (id) {
        id -> Integer,
        pruned_through -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        csrf_token -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    setup_tokens (id) {
        id -> Integer,
        token_hash -> Text,
        created_at -> BigInt,
        used_at -> Nullable<BigInt>,
        node -> Text,
    }
}

diesel::table! {
    site_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
        question_count -> Integer,
    }
}

diesel::table! {
    tree_walks (id) {
        id -> Integer,
        walk_key -> Text,
        tree_id -> Integer,
        last_node -> Text,
        steps -> Integer,
        outcome -> Nullable<Text>,
        started_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    trees (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        description -> Text,
        tags -> Text,
        definition -> Text,
        source_path -> Nullable<Text>,
        content_hash -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    user_mail (user_id) {
        user_id -> Integer,
        address -> Text,
        address_key -> Text,
        verified_at -> Nullable<BigInt>,
        delivery -> Text,
        last_digest_at -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        username_key -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        suspended_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    votes (id) {
        id -> Integer,
        user_id -> Integer,
        post_kind -> Text,
        post_id -> Integer,
        value -> Integer,
        created_at -> BigInt,
    }
}

diesel::joinable!(announcements -> users (created_by));
diesel::joinable!(answers -> questions (question_id));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(article_revisions -> users (editor_id));
diesel::joinable!(articles -> manuals (manual_id));
diesel::joinable!(comments -> answers (answer_id));
diesel::joinable!(comments -> questions (question_id));
diesel::joinable!(drafts -> questions (question_id));
diesel::joinable!(drafts -> users (user_id));
diesel::joinable!(feedback -> users (user_id));
diesel::joinable!(follows -> questions (question_id));
diesel::joinable!(follows -> tags (tag_id));
diesel::joinable!(follows -> users (user_id));
diesel::joinable!(known_issue_followers -> known_issues (issue_id));
diesel::joinable!(known_issue_followers -> users (user_id));
diesel::joinable!(known_issue_updates -> known_issues (issue_id));
diesel::joinable!(known_issue_updates -> users (author_id));
diesel::joinable!(mail_digest_items -> notifications (notification_id));
diesel::joinable!(mail_digest_items -> users (user_id));
diesel::joinable!(mail_tokens -> users (user_id));
diesel::joinable!(question_known_issues -> known_issues (issue_id));
diesel::joinable!(question_known_issues -> questions (question_id));
diesel::joinable!(question_known_issues -> users (linked_by));
diesel::joinable!(question_tags -> questions (question_id));
diesel::joinable!(question_tags -> tags (tag_id));
diesel::joinable!(revisions -> users (editor_id));
diesel::joinable!(search_clicks -> search_log (search_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tree_walks -> trees (tree_id));
diesel::joinable!(user_mail -> users (user_id));
diesel::joinable!(votes -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    announcements,
    answers,
    article_revisions,
    articles,
    assets,
    comments,
    drafts,
    feedback,
    flags,
    follows,
    import_map,
    index_nodes,
    jobs,
    known_issue_followers,
    known_issue_updates,
    known_issues,
    mail_digest_items,
    mail_tokens,
    manuals,
    notifications,
    page_changes,
    question_known_issues,
    question_tags,
    questions,
    rate_limits,
    revisions,
    search_clicks,
    search_log,
    search_outbox,
    search_outbox_state,
    sessions,
    setup_tokens,
    site_secrets,
    tags,
    tree_walks,
    trees,
    user_mail,
    users,
    votes,
);
