//! Accounts, sessions, roles and the security baseline.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use signpost::auth::Role;
use signpost::config::PoolSettings;
use signpost::db::models::{sessions, users};
use signpost::service::accounts;

use crate::harness::{csrf_of, TestApp, TEST_PASSWORD};

fn app() -> TestApp {
    TestApp::guide().start()
}

#[actix_web::test]
async fn register_login_logout() {
    let app = app();
    let client = app.client();
    let page = client.register("Alice_1", "correct horse battery").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(client.has_session());
    let home = client.get("/").await;
    home.assert_contains("Alice_1</a>");
    home.assert_contains("action=\"/logout\"");

    let logout = client.submit("/", "/logout", &[]).await;
    assert_eq!(logout.status, 303);
    assert!(!client.has_session());
    client.get("/").await.assert_contains("href=\"/login\"");

    let login = client.login("alice_1", "correct horse battery").await;
    assert_eq!(login.status, 303);
    assert_eq!(login.header("location"), "/");
    client
        .get("/account")
        .await
        .assert_contains("Signed in as <strong>Alice_1</strong>");
}

#[actix_web::test]
async fn login_redirects_back_to_next_but_never_off_site() {
    let app = app();
    app.create_user("bob_b", Role::Member);
    let client = app.client();
    let page = client.get("/account").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), "/login?next=%2Faccount");
    let form = client.get("/login?next=%2Faccount").await;
    let token = csrf_of(&form.body).expect("csrf");
    let page = client
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("username", "bob_b"),
                ("password", TEST_PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(page.header("location"), "/account");
    let other = app.client();
    let token = other.csrf("/login").await;
    let page = other
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("username", "bob_b"),
                ("password", TEST_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "an off-site next is refused");
    assert!(page.header("location").is_empty());
    assert!(!other.has_session(), "and no session is started");
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = app();
    app.create_user("carol", Role::Member);
    let client = app.client();
    let wrong = client.login("carol", "not the password at all").await;
    let unknown = client.login("nobody_here", "not the password at all").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    wrong.assert_contains("Unknown username or wrong password.");
    unknown.assert_contains("Unknown username or wrong password.");
    assert!(!client.has_session());
    // The typed username is kept, the password is not.
    wrong.assert_contains("value=\"carol\"");
    assert!(!wrong.body.contains("not the password at all"));
}

#[actix_web::test]
async fn a_very_long_username_fails_to_sign_in_like_any_other() {
    let app = app();
    let client = app.client();
    // Letters from a xorshift sequence: a regular pattern would compress
    // below any stored size limit.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let long: String = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    for _ in 0..2 {
        let page = client.login(&long, "not the password at all").await;
        assert_eq!(page.status, 401, "{}", page.body);
        page.assert_contains("Unknown username or wrong password.");
    }
}

#[actix_web::test]
async fn duplicate_usernames_are_refused_in_any_case() {
    let app = app();
    assert_eq!(
        app.client()
            .register("Dave", "correct horse battery")
            .await
            .status,
        303
    );
    for variant in ["dave", "DAVE", "ＤＡＶＥ"] {
        let page = app
            .client()
            .register(variant, "correct horse battery")
            .await;
        assert_eq!(page.status, 422, "{variant}");
        page.assert_contains("is already taken");
    }
}

#[actix_web::test]
async fn registration_errors_keep_the_form_and_explain() {
    let app = app();
    let client = app.client();
    let page = client
        .submit(
            "/register",
            "/register",
            &[
                ("username", "admin"),
                ("display_name", "The <b>Boss</b>"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("is reserved");
    page.assert_contains("at least 10 characters");
    page.assert_contains("value=\"The &lt;b&gt;Boss&lt;/b&gt;\"");
    let page = client
        .submit(
            "/register",
            "/register",
            &[
                ("username", "erin"),
                ("password", "password123"),
                ("password_confirm", "password123"),
            ],
        )
        .await;
    page.assert_contains("most common");
    let page = client
        .submit(
            "/register",
            "/register",
            &[
                ("username", "erin"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse batterx"),
            ],
        )
        .await;
    page.assert_contains("do not match");
    let long = "x".repeat(1025);
    let page = client
        .submit(
            "/register",
            "/register",
            &[
                ("username", "erin"),
                ("password", &long),
                ("password_confirm", &long),
            ],
        )
        .await;
    page.assert_contains("at most 1024 bytes");
}

#[actix_web::test]
async fn password_hashes_are_argon2id_never_the_password() {
    let app = app();
    app.client()
        .register("frank", "correct horse battery")
        .await;
    let mut conn = app.started().state.db.get().expect("db");
    let user = users::find_by_key(&mut conn, "frank")
        .expect("q")
        .expect("user");
    let hash = user.password_hash.expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains("correct horse battery"));
    let sessions_table: Vec<String> = {
        use diesel::prelude::*;
        signpost::db::schema::sessions::table
            .select(signpost::db::schema::sessions::token_hash)
            .load(&mut conn)
            .expect("s")
    };
    assert_eq!(sessions_table.len(), 1);
    assert_eq!(
        sessions_table[0].len(),
        64,
        "only a SHA-256 of the token is stored"
    );
}

#[actix_web::test]
async fn session_cookie_is_httponly_lax_and_secure_over_https() {
    for (base, secure) in [
        ("http://127.0.0.1:8080", false),
        ("https://help.example.com", true),
    ] {
        let app = TestApp::builder().base_url(base).start();
        app.create_user("gina", Role::Member);
        let client = app.client();
        let page = client.login("gina", TEST_PASSWORD).await;
        let cookie = page
            .headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("sp_session="))
            .expect("session cookie");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert_eq!(cookie.contains("Secure"), secure, "{base}: {cookie}");
    }
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_a_page() {
    let app = app();
    let client = app.client();
    let token = client.csrf("/login").await;
    let huge = "x".repeat(300 * 1024);
    let page = client
        .post(
            "/login",
            &[("csrf", &token), ("username", &huge), ("password", "x")],
        )
        .await;
    assert_eq!(page.status, 413);
    page.assert_contains("larger than this site accepts");
}

#[actix_web::test]
async fn csrf_missing_or_wrong_is_403() {
    let app = app();
    app.create_user("hank", Role::Member);
    let anon = app.client();
    anon.get("/login").await;
    for (path, fields) in [
        (
            "/login",
            vec![("username", "hank"), ("password", TEST_PASSWORD)],
        ),
        (
            "/register",
            vec![
                ("username", "newbie"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
            ],
        ),
    ] {
        let page = anon.post(path, &fields).await;
        assert_eq!(page.status, 403, "{path} without token");
        page.assert_contains("did not come from this site");
        let mut with_bad = fields.clone();
        with_bad.push((
            "csrf",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ));
        assert_eq!(
            anon.post(path, &with_bad).await.status,
            403,
            "{path} with wrong token"
        );
    }
    let client = app.member("ivy_i").await;
    for path in ["/logout", "/account/profile", "/account/password"] {
        assert_eq!(
            client.post(path, &[("display_name", "X")]).await.status,
            403,
            "{path}"
        );
        assert_eq!(
            client
                .post(path, &[("csrf", "nope"), ("display_name", "X")])
                .await
                .status,
            403,
            "{path}"
        );
    }
    // A token from another visitor's session does not work either.
    let other = app.member("jack_j").await;
    let foreign = other.csrf("/account").await;
    assert_eq!(
        client
            .post(
                "/account/profile",
                &[("csrf", &foreign), ("display_name", "X")]
            )
            .await
            .status,
        403
    );
    assert!(client.has_session(), "still signed in");
}

#[actix_web::test]
async fn login_rate_limit_kicks_in_and_recovers() {
    let app = app();
    app.create_user("kim_k", Role::Member);
    let client = app.client();
    for _ in 0..8 {
        assert_eq!(
            client.login("kim_k", "wrong password here").await.status,
            401
        );
    }
    let limited = client.login("kim_k", TEST_PASSWORD).await;
    assert_eq!(limited.status, 429);
    limited.assert_contains("try again in");
    let retry: u64 = limited.header("retry-after").parse().expect("retry-after");
    assert!((1..=900).contains(&retry));
    // Another account from the same address is not blocked by kim's failures.
    app.create_user("lee_l", Role::Member);
    assert_eq!(app.client().login("lee_l", TEST_PASSWORD).await.status, 303);
    // After the window the right password works again.
    app.started()
        .state
        .limiter
        .advance(Duration::from_secs(901));
    assert_eq!(client.login("kim_k", TEST_PASSWORD).await.status, 303);
}

#[actix_web::test]
async fn per_address_limits_cover_registration() {
    let app = app();
    let client = app.client();
    for i in 0..5 {
        let page = client.register(&format!("user{i}"), "short").await;
        assert_eq!(page.status, 422);
    }
    assert_eq!(
        client
            .register("user9", "correct horse battery")
            .await
            .status,
        429
    );
    let mut elsewhere = app.client();
    elsewhere.ip = "198.51.100.9".into();
    assert_eq!(
        elsewhere
            .register("user9", "correct horse battery")
            .await
            .status,
        303
    );
}

#[actix_web::test]
async fn suspension_ends_sessions_and_blocks_sign_in() {
    let app = app();
    let admin = app.admin("root_admin").await;
    let member = app.member("mona").await;
    member.get("/account").await.assert_contains("Signed in as");
    let mona_id = {
        let mut conn = app.started().state.db.get().expect("db");
        users::find_by_key(&mut conn, "mona")
            .expect("q")
            .expect("u")
            .id
    };
    let page = admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{mona_id}/suspend"),
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    // The open session is gone at the next request, and posting is refused.
    let page = member.get("/account").await;
    assert_eq!(page.status, 303, "redirected to sign in");
    assert!(!member.has_session(), "stale cookie cleared");
    let post = member
        .post(
            "/account/profile",
            &[("csrf", "x"), ("display_name", "Hacked")],
        )
        .await;
    assert!(
        post.status == 303 && post.header("location").starts_with("/login"),
        "{}",
        post.status
    );
    let login = member.login("mona", TEST_PASSWORD).await;
    assert_eq!(login.status, 403);
    login.assert_contains("suspended");
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(
        sessions::count_for_user(&mut conn, mona_id).expect("count"),
        0
    );
    assert_eq!(
        users::find(&mut conn, mona_id)
            .expect("q")
            .expect("u")
            .display_name,
        "mona"
    );
    drop(conn);
    admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{mona_id}/unsuspend"),
            &[],
        )
        .await;
    assert_eq!(member.login("mona", TEST_PASSWORD).await.status, 303);
}

#[actix_web::test]
async fn password_change_ends_other_sessions() {
    let app = app();
    app.create_user("nina", Role::Member);
    let laptop = app.client();
    let phone = app.client();
    laptop.login("nina", TEST_PASSWORD).await;
    phone.login("nina", TEST_PASSWORD).await;
    let page = laptop
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", TEST_PASSWORD),
                ("password", "violet ocean compass"),
                ("password_confirm", "violet ocean compass"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.header("location"), "/account?saved=password");
    laptop
        .get("/account?saved=password")
        .await
        .assert_contains("Your password was changed");
    assert_eq!(
        phone.get("/account").await.status,
        303,
        "other session ended"
    );
    assert_eq!(app.client().login("nina", TEST_PASSWORD).await.status, 401);
    assert_eq!(
        app.client()
            .login("nina", "violet ocean compass")
            .await
            .status,
        303
    );
    let wrong = laptop
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", "nope nope nope"),
                ("password", "another good one"),
                ("password_confirm", "another good one"),
            ],
        )
        .await;
    wrong.assert_contains("current password is not right");
}

#[actix_web::test]
async fn profile_and_display_names_are_escaped_with_staff_badge() {
    let app = app();
    let staff = app.staff("oscar").await;
    let page = staff
        .submit(
            "/account",
            "/account/profile",
            &[("display_name", "<script>alert(1)</script>Oz")],
        )
        .await;
    assert_eq!(page.status, 303);
    let profile = app.client().get("/users/OSCAR").await;
    assert_eq!(profile.status, 200);
    profile.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;Oz");
    assert!(!profile.body.contains("<script>alert"));
    profile.assert_contains("badge-staff");
    staff
        .get("/")
        .await
        .assert_contains("<span class=\"badge badge-staff\">staff</span>");
    assert_eq!(app.client().get("/users/nobody").await.status, 404);
}

#[actix_web::test]
async fn setup_token_creates_the_first_admin_once() {
    let mut app = app();
    let token = app
        .started()
        .setup_token
        .clone()
        .expect("no admin yet, so a token is issued");
    assert_eq!(app.client().get("/setup/not-the-token").await.status, 404);
    let client = app.client();
    let url = format!("/setup/{token}");
    let page = client.get(&url).await;
    assert_eq!(page.status, 200);
    page.assert_contains("Create the first administrator");
    let page = client
        .submit(
            &url,
            &url,
            &[
                ("username", "site_keeper"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    client
        .get("/staff/users")
        .await
        .assert_contains("site_keeper");
    assert_eq!(
        app.client().get(&url).await.status,
        404,
        "the token dies once used"
    );
    let again = app.client();
    let csrf = again.csrf("/login").await;
    assert_eq!(
        again
            .post(
                &url,
                &[
                    ("csrf", &csrf),
                    ("username", "site_keeper2"),
                    ("password", "correct horse battery"),
                    ("password_confirm", "correct horse battery")
                ]
            )
            .await
            .status,
        404
    );
    app.restart().expect("restart");
    assert!(
        app.started().setup_token.is_none(),
        "an admin exists: no new token"
    );
}

/// A protected route: method, path, the role it needs, the form it sends.
type ProtectedRoute = (
    &'static str,
    &'static str,
    Role,
    &'static [(&'static str, &'static str)],
);

/// Every staff and admin route, with the role it needs and the form it sends.
const PROTECTED: &[ProtectedRoute] = &[
    ("GET", "/staff/users", Role::Admin, &[]),
    (
        "POST",
        "/staff/users/{id}/role",
        Role::Admin,
        &[("role", "staff")],
    ),
    ("POST", "/staff/users/{id}/suspend", Role::Admin, &[]),
    ("POST", "/staff/users/{id}/unsuspend", Role::Admin, &[]),
    ("GET", "/staff", Role::Staff, &[]),
    ("GET", "/staff/flags", Role::Staff, &[]),
    (
        "POST",
        "/staff/flags/{flag}",
        Role::Staff,
        &[("action", "dismiss")],
    ),
    ("GET", "/staff/articles", Role::Staff, &[]),
    ("GET", "/staff/articles/new", Role::Staff, &[]),
    (
        "POST",
        "/staff/articles/new",
        Role::Staff,
        &[("title", "Sneaky"), ("status", "published"), ("body", "x")],
    ),
    ("GET", "/docs/guide/page/edit", Role::Staff, &[]),
    (
        "POST",
        "/docs/guide/page/edit",
        Role::Staff,
        &[
            ("title", "Hijacked"),
            ("status", "published"),
            ("body", "x"),
        ],
    ),
    ("GET", "/docs/guide/page/revisions", Role::Staff, &[]),
    ("GET", "/docs/guide/page/revisions/{rev}", Role::Staff, &[]),
    (
        "GET",
        "/docs/guide/page/diff?from={rev}&to={rev}",
        Role::Staff,
        &[],
    ),
    (
        "POST",
        "/docs/guide/page/revisions/{rev}/restore",
        Role::Staff,
        &[],
    ),
    ("POST", "/docs/guide/page/reattach", Role::Staff, &[]),
    (
        "POST",
        "/questions/{q}/moderate",
        Role::Staff,
        &[("action", "lock")],
    ),
    (
        "POST",
        "/answers/{a}/moderate",
        Role::Staff,
        &[("action", "delete")],
    ),
];

#[actix_web::test]
async fn authorization_matrix_for_every_staff_route() {
    let app = TestApp::guide()
        .file(
            "manuals/guide/page.md",
            "+++\ntitle = \"Page\"\n+++\nOriginal text.\n",
        )
        .start();
    let target = app.create_user("target_user", Role::Member);
    let anon = app.client();
    let member = app.member("matrix_member").await;
    let staff = app.staff("matrix_staff").await;
    let admin = app.admin("matrix_admin").await;
    // A question with an answer and a flag, and the article's revision.
    let asker = app.member("matrix_asker").await;
    let q = asker
        .submit(
            "/questions/ask",
            "/questions/ask",
            &[
                ("title", "A question for the matrix"),
                ("body", "Long enough body text for the question."),
                ("tags", "matrix"),
                ("action", "post"),
            ],
        )
        .await;
    let q_path = q.header("location").to_string();
    let qid = q_path.split('/').nth(2).expect("id").to_string();
    let a = member
        .submit(
            &q_path,
            &format!("/questions/{qid}/answers"),
            &[("body", "An answer that is long enough to post.")],
        )
        .await;
    let aid = a
        .header("location")
        .rsplit("#answer-")
        .next()
        .expect("answer")
        .to_string();
    member
        .submit(
            &q_path,
            "/flags",
            &[("kind", "question"), ("post_id", &qid), ("reason", "spam")],
        )
        .await;
    let (rev, flag) = {
        use diesel::prelude::*;
        let mut conn = app.started().state.db.get().expect("db");
        let rev: i32 = signpost::db::schema::article_revisions::table
            .select(signpost::db::schema::article_revisions::id)
            .first(&mut conn)
            .expect("rev");
        let flag: i32 = signpost::db::schema::flags::table
            .select(signpost::db::schema::flags::id)
            .first(&mut conn)
            .expect("flag");
        (rev, flag)
    };
    for (method, pattern, needed, fields) in PROTECTED {
        let path = pattern
            .replace("{id}", &target.to_string())
            .replace("{q}", &qid)
            .replace("{a}", &aid)
            .replace("{rev}", &rev.to_string())
            .replace("{flag}", &flag.to_string());
        for (who, client, role) in [
            ("anonymous", &anon, None),
            ("member", &member, Some(Role::Member)),
            ("staff", &staff, Some(Role::Staff)),
            ("admin", &admin, Some(Role::Admin)),
        ] {
            let page = if *method == "GET" {
                client.get(&path).await
            } else {
                let form_page = if role.is_some() { "/account" } else { "/login" };
                client.submit(form_page, &path, fields).await
            };
            let allowed = role.is_some_and(|r| r >= *needed);
            if allowed {
                let to_login = page.status == 303 && page.header("location").starts_with("/login");
                assert!(
                    ![401, 403].contains(&page.status) && !to_login && page.status < 500,
                    "{who} {method} {path}: {}",
                    page.status
                );
            } else if role.is_none() {
                assert_eq!(page.status, 303, "{who} {method} {path}");
                assert!(
                    page.header("location").starts_with("/login?next="),
                    "{who} {method} {path}"
                );
            } else {
                assert_eq!(page.status, 403, "{who} {method} {path}");
            }
        }
    }
    // Refused requests changed nothing: the role is the one the admin set.
    let mut conn = app.started().state.db.get().expect("db");
    let user = users::find(&mut conn, target).expect("q").expect("u");
    assert_eq!(
        user.role, "staff",
        "only the admin's request changed the role"
    );
}

#[actix_web::test]
async fn the_last_admin_cannot_be_demoted_and_admins_cannot_suspend_themselves() {
    let app = app();
    let admin = app.admin("solo_admin").await;
    let id = {
        let mut conn = app.started().state.db.get().expect("db");
        users::find_by_key(&mut conn, "solo_admin")
            .expect("q")
            .expect("u")
            .id
    };
    let page = admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{id}/role"),
            &[("role", "member")],
        )
        .await;
    assert_eq!(page.status, 409);
    page.assert_contains("only admin");
    let page = admin
        .submit("/staff/users", &format!("/staff/users/{id}/suspend"), &[])
        .await;
    assert_eq!(page.status, 409);
    let page = admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{id}/role"),
            &[("role", "overlord")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert_eq!(
        admin
            .submit(
                "/staff/users",
                "/staff/users/99999/role",
                &[("role", "staff")]
            )
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn sessions_expire_when_idle_and_absolutely() {
    let app = app();
    let id = app.create_user("pat_p", Role::Member);
    let mut conn = app.started().state.db.get().expect("db");
    let now = signpost::db::unix_now();
    let (token, _) = accounts::start_session(&mut conn, id, now).expect("session");
    assert!(accounts::session_for_token(&mut conn, &token, now + 60)
        .expect("q")
        .is_some());
    let idle = now + signpost::auth::SESSION_IDLE_SECS + 120;
    assert!(accounts::session_for_token(&mut conn, &token, idle)
        .expect("q")
        .is_none());
    let (token, _) = accounts::start_session(&mut conn, id, now).expect("session");
    // Active every day, but past the absolute limit.
    let mut t = now;
    while t < now + signpost::auth::SESSION_ABSOLUTE_SECS - 86_400 {
        t += 86_400;
        assert!(accounts::session_for_token(&mut conn, &token, t)
            .expect("q")
            .is_some());
    }
    assert!(accounts::session_for_token(
        &mut conn,
        &token,
        now + signpost::auth::SESSION_ABSOLUTE_SECS + 1
    )
    .expect("q")
    .is_none());
    assert_eq!(sessions::count_for_user(&mut conn, id).expect("count"), 0);
}

#[test]
fn user_cli_creates_promotes_and_suspends() {
    let (dir, config) = TestApp::builder().prepare();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = crate::harness::signpost_command(&config)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write");
        }
        child.wait_with_output().expect("output")
    };
    let out = run(
        &[
            "user",
            "create",
            "Quinn",
            "--role",
            "staff",
            "--password-stdin",
        ],
        Some("lamp harbor quiet\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created Quinn (staff)"));
    let out = run(
        &["user", "create", "quinn", "--password-stdin"],
        Some("lamp harbor quiet\n"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken"));
    let out = run(
        &["user", "create", "weak", "--password-stdin"],
        Some("123\n"),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10"));
    assert!(run(&["user", "set-role", "QUINN", "admin"], None)
        .status
        .success());
    assert!(!run(&["user", "set-role", "quinn", "god"], None)
        .status
        .success());
    assert!(run(&["user", "suspend", "quinn"], None).status.success());
    let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
    let mut conn = pool.get().expect("conn");
    let user = users::find_by_key(&mut conn, "quinn")
        .expect("q")
        .expect("u");
    assert_eq!(user.role, "admin");
    assert!(user.is_suspended());
    assert!(user.password_hash.expect("hash").starts_with("$argon2id$"));
    assert!(run(&["user", "unsuspend", "quinn"], None).status.success());
    assert!(!run(&["user", "suspend", "nobody"], None).status.success());
}

#[actix_web::test]
async fn header_links_bring_a_guest_back_to_the_page_after_signing_in() {
    let app = app();
    app.create_user("hana_h", Role::Member);
    let client = app.client();
    let page = client.get("/search?q=printer+offline&kind=article").await;
    assert_eq!(page.status, 200);
    let next = "%2Fsearch%3Fq%3Dprinter%2Boffline%26kind%3Darticle";
    page.assert_contains(&format!("<a href=\"/login?next={next}\">Sign in</a>"));
    page.assert_contains(&format!(
        "<a class=\"button-link\" href=\"/register?next={next}\">Register</a>"
    ));
    // On the sign-in page the header keeps the same next.
    let login = client.get(&format!("/login?next={next}")).await;
    assert_eq!(login.status, 200);
    login.assert_contains(&format!(
        "<a class=\"button-link\" href=\"/register?next={next}\">Register</a>"
    ));
    let token = csrf_of(&login.body).expect("csrf");
    let signed_in = client
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("username", "hana_h"),
                ("password", TEST_PASSWORD),
                ("next", "/search?q=printer+offline&kind=article"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(
        signed_in.header("location"),
        "/search?q=printer+offline&kind=article"
    );
    // Registering from the header link returns there too.
    let guest = app.client();
    let register = guest.get(&format!("/register?next={next}")).await;
    assert_eq!(register.status, 200);
    let token = csrf_of(&register.body).expect("csrf");
    let created = guest
        .post(
            "/register",
            &[
                ("csrf", &token),
                ("next", "/search?q=printer+offline&kind=article"),
                ("username", "ivo_i"),
                ("password", TEST_PASSWORD),
                ("password_confirm", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(
        created.header("location"),
        "/search?q=printer+offline&kind=article"
    );
    // The home page keeps plain links.
    app.client()
        .get("/")
        .await
        .assert_contains("<a href=\"/login\">Sign in</a>");
}
