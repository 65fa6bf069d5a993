// @generated automatically by Diesel CLI.

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

diesel::joinable!(articles -> manuals (manual_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tree_walks -> trees (tree_id));

diesel::allow_tables_to_appear_in_same_query!(
    articles,
    manuals,
    search_log,
    search_outbox,
    sessions,
    setup_tokens,
    tree_walks,
    trees,
    users,
);
