//! "Was your question solved?": the periodic job asks the asker once, N
//! days after the first answer (a fake clock through `run_due`), by
//! notification and mail (against the SMTP sink); the mailed "yes" link
//! accepts through a confirm page (replayed or tampered links refused);
//! "no" brings the question to the top of the most-active list and of the
//! staff dashboard's waiting list; who may do what.

use diesel::prelude::*;
use signpost::auth::tokens::SolvedLink;
use signpost::db::models::{notifications, questions};
use signpost::db::schema::notifications as notification_rows;
use signpost::db::unix_now;
use signpost::ids::{AnswerId, QuestionId, UserId};
use signpost::jobs::site::SiteJobs;

use crate::fixtures::{Question, BODY};
use crate::harness::TestApp;
use crate::mail::verified_address;
use crate::smtp_sink::{Received, SmtpSink};

/// The default `base_url` of a test app.
const BASE: &str = "http://127.0.0.1:8080";
const DAY: i64 = 86_400;

/// Runs every job due `ahead` seconds from now on the app's own jobs.
fn run_jobs_in(app: &TestApp, ahead: i64) {
    app.started()
        .site_jobs
        .run_due("test-clock", unix_now() + ahead)
        .expect("run due jobs");
}

/// "Was it solved?" notifications of the question (any recipient).
fn nudges(app: &TestApp, question: &Question) -> Vec<notifications::Notification> {
    let mut conn = app.started().state.db.get().expect("db");
    notification_rows::table
        .filter(notification_rows::kind.eq(notifications::SOLVED_NUDGE))
        .filter(notification_rows::question_id.eq(question.id))
        .select(notifications::Notification::as_select())
        .load(&mut conn)
        .expect("notifications")
}

fn question_row(app: &TestApp, id: QuestionId) -> questions::Question {
    let mut conn = app.started().state.db.get().expect("db");
    questions::find(&mut conn, id)
        .expect("query")
        .expect("question")
}

/// The signed link path for `user` on `question` (`answer` None: "no").
fn signed_path(
    app: &TestApp,
    user: UserId,
    question: QuestionId,
    answer: Option<AnswerId>,
) -> String {
    let token = SolvedLink {
        user_id: user,
        question_id: question,
        answer_id: answer,
    }
    .token(&app.started().state.mail_site.unsubscribe_key);
    signpost::paths::solved_link(&token)
}

fn nudge_mails(sink: &SmtpSink) -> Vec<Received> {
    sink.messages()
        .into_iter()
        .filter(|m| m.subject().starts_with("Was your question"))
        .collect()
}

/// Every `/solved/` link of a mail's text part, in order, as paths.
fn solved_links(mail: &Received) -> Vec<String> {
    let text = mail.text();
    text.split_whitespace()
        .filter_map(|word| word.strip_prefix(BASE))
        .filter(|path| path.starts_with("/solved/"))
        .map(str::to_string)
        .collect()
}

#[actix_web::test]
async fn the_asker_is_asked_once_and_a_mailed_yes_accepts_the_answer() {
    let sink = SmtpSink::start();
    let app = TestApp::guide().configure(sink.configure()).start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cyd = app.member("cyd").await;
    verified_address(&app, "ann", "ann@example.com");
    let question = ann
        .asks("Scanner <b>jams</b> on every page", BODY, "scanner")
        .await;
    let first = bob
        .answers(
            &question,
            "Clean the rollers with a damp cloth, then dry them.",
        )
        .await;
    let second = cyd
        .answers(&question, "Lower the paper guide: it pinches thick paper.")
        .await;

    // Too recent: nothing two days later.
    run_jobs_in(&app, 2 * DAY);
    assert!(nudges(&app, &question).is_empty());

    run_jobs_in(&app, 3 * DAY + 60);
    sink.wait_until("the nudge mail", |m| {
        m.iter()
            .any(|m| m.subject().starts_with("Was your question"))
    });
    // Later runs, here and on another node, ask nothing more.
    run_jobs_in(&app, 4 * DAY);
    let pool = signpost::db::open(
        &app.config.database(),
        signpost::config::PoolSettings::sized(2),
    )
    .expect("pool");
    SiteJobs::new(pool, None)
        .run_due("node-b", unix_now() + 6 * DAY)
        .expect("other node");
    let asked = nudges(&app, &question);
    assert_eq!(asked.len(), 1, "asked once: {asked:?}");
    assert_eq!(asked[0].user_id, app.user_id("ann"));
    assert_eq!(asked[0].actor_id, None, "sent by the site");
    let mails = nudge_mails(&sink);
    assert_eq!(mails.len(), 1, "one mail");
    let mail = &mails[0];
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(
        mail.subject(),
        "Was your question \"Scanner <b>jams</b> on every page\" solved?"
    );
    let text = mail.text();
    assert!(
        text.contains("Clean the rollers with a damp cloth"),
        "{text}"
    );
    assert!(text.contains("Lower the paper guide"), "{text}");
    assert!(text.contains("No, still not solved: "), "{text}");
    let html = mail.html();
    assert!(html.contains("Scanner &lt;b&gt;jams&lt;/b&gt;"), "{html}");
    assert_eq!(
        html.matches("Yes — this answer solved it").count(),
        2,
        "{html}"
    );
    let links = solved_links(mail);
    assert_eq!(links.len(), 3, "two answers and no: {links:?}");
    let (yes_first, yes_second, no) = (&links[0], &links[1], &links[2]);
    assert!(
        yes_first.contains(&format!("-{}-", first.id)),
        "{yes_first}"
    );

    // No sign-in: GET only asks to confirm.
    let mail_program = app.client();
    let confirm = mail_program.get(yes_second).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    confirm.assert_contains("Yes — this answer solved it");
    confirm.assert_contains("Lower the paper guide");
    assert_eq!(question_row(&app, question.id).accepted_answer_id, None);

    let mut tampered = yes_second.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == '0' { '1' } else { '0' });
    let forged_answer =
        yes_second.replacen(&format!("-{}-", second.id), &format!("-{}-", first.id), 1);
    for path in [&tampered, &forged_answer] {
        let page = mail_program.post(path, &[]).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
        page.assert_contains("link is not valid");
    }
    assert_eq!(question_row(&app, question.id).accepted_answer_id, None);

    let done = mail_program.post(yes_second, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    done.assert_contains("Marked as the solution");
    let row = question_row(&app, question.id);
    assert_eq!(row.accepted_answer_id, Some(second.id));
    assert_eq!(row.accepted_by, Some(app.user_id("ann")));
    // Told as for any acceptance: the answer's author.
    let mut conn = app.started().state.db.get().expect("db");
    let cy_heard = notifications::recent(&mut conn, app.user_id("cyd"), 10).expect("list");
    assert!(
        cy_heard
            .iter()
            .any(|n| n.kind == notifications::ANSWER_ACCEPTED && n.answer_id == Some(second.id)),
        "{cy_heard:?}"
    );
    drop(conn);

    // Replayed, or another choice afterwards: a clear page, nothing changes.
    for path in [yes_second, yes_first, no] {
        let page = mail_program.post(path, &[]).await;
        assert_eq!(page.status, 409, "{path}: {}", page.body);
        page.assert_contains("accepted already");
        let again = mail_program.get(path).await;
        assert_eq!(again.status, 409, "{}", again.body);
    }
    let row = question_row(&app, question.id);
    assert_eq!(row.accepted_answer_id, Some(second.id));
    assert_eq!(row.unsolved_at, None);
}

#[actix_web::test]
async fn still_not_solved_brings_the_question_to_the_top_of_the_lists() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let staff = app.staff("sam").await;
    let older = ann.asks("Tablet will not charge", BODY, "tablet").await;
    let from_mail = ann.asks("Tablet screen flickers", BODY, "tablet").await;
    bob.answers(&older, "Try another cable and a wall charger.")
        .await;
    bob.answers(&from_mail, "Turn off adaptive brightness.")
        .await;
    let newer = bob.asks("Tablet speaker crackles", BODY, "tablet").await;
    ann.answers(&newer, "Check the volume limiter in the settings.")
        .await;
    let unanswered = bob
        .asks("Tablet keyboard case drops keys", BODY, "tablet")
        .await;

    // Asked and answered three days ago (seconds apart in this test).
    {
        use signpost::db::schema::questions::dsl as q;
        let mut conn = app.started().state.db.get().expect("db");
        diesel::update(q::questions)
            .set((
                q::created_at.eq(q::created_at - 3 * DAY),
                q::last_activity_at.eq(q::last_activity_at - 3 * DAY),
            ))
            .execute(&mut conn)
            .expect("backdate");
        use signpost::db::schema::answers::dsl as a;
        diesel::update(a::answers)
            .set(a::created_at.eq(a::created_at - 3 * DAY))
            .execute(&mut conn)
            .expect("backdate answers");
    }
    // Past the hourly task's next run (the app's worker ran it at start).
    run_jobs_in(&app, 2 * 3600);
    assert_eq!(nudges(&app, &older).len(), 1);

    // The notification page offers the choices, with plain CSRF forms.
    let page = ann.get("/notifications").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Was your question \u{201c}Tablet will not charge\u{201d} solved?");
    page.assert_contains("Try another cable and a wall charger.");
    page.assert_contains("Yes — this answer solved it");
    page.assert_contains(&format!("/questions/{}/still-unsolved", older.id));

    let active = |body: &str| -> Vec<String> {
        body.split("<div class=\"summary\">")
            .skip(1)
            .filter_map(|row| {
                let start = row.find("<a href=\"")? + "<a href=\"".len();
                Some(row[start..start + row[start..].find('"')?].to_string())
            })
            .collect()
    };
    let before = active(&app.get("/questions?tab=active").await.body);
    assert_eq!(before.first(), Some(&unanswered.path), "{before:?}");
    let said = ann
        .submit(
            "/notifications",
            &format!("/questions/{}/still-unsolved", older.id),
            &[],
        )
        .await;
    assert_eq!(said.status, 303, "{}", said.body);
    let row = question_row(&app, older.id);
    assert!(row.unsolved_at.is_some());
    assert_eq!(row.accepted_answer_id, None);
    let list = app.get("/questions?tab=active").await;
    let order = active(&list.body);
    assert_eq!(order.first(), Some(&older.path), "{order:?}");

    let dashboard = staff.get("/staff").await;
    assert_eq!(dashboard.status, 200);
    let waiting = dashboard
        .body
        .split("Answered but unsolved")
        .nth(1)
        .expect("waiting list");
    let first_item = waiting.find("<li>").expect("an item");
    assert!(
        waiting[first_item..].starts_with(&format!("<li><a href=\"{}\"", older.path)),
        "{waiting}"
    );
    assert!(waiting.contains("asker said still not solved"), "{waiting}");
    dashboard
        .assert_contains("Questions: 0 solved · 3 waiting (answered, none accepted) · 2 stale");

    // The mailed "no" works without sign-in too, after a confirm page.
    let guest = app.client();
    let no = signed_path(&app, app.user_id("ann"), from_mail.id, None);
    let confirm = guest.get(&no).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    confirm.assert_contains("No, still not solved");
    assert_eq!(question_row(&app, from_mail.id).unsolved_at, None);
    let done = guest.post(&no, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    done.assert_contains("Still not solved");
    let list = app.get("/questions?tab=active").await;
    assert_eq!(active(&list.body).first(), Some(&from_mail.path));
    let dashboard = staff.get("/staff").await;
    dashboard.assert_contains("· 3 stale");

    // The unanswered question is stale only once it waited the days.
    let mut conn = app.started().state.db.get().expect("db");
    let counts = questions::solved_counts(&mut conn, unix_now() - 4 * DAY).expect("counts");
    assert_eq!(
        (counts.solved, counts.waiting, counts.stale),
        (0, 3, 2),
        "{unanswered:?} asked 3 days ago is not stale at 4"
    );
}

#[actix_web::test]
async fn no_nudge_when_accepted_unanswered_deleted_locked_or_turned_off() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let staff = app.staff("sam").await;
    let accepted = ann.asks("Mouse double clicks", BODY, "mouse").await;
    let answer = bob.answers(&accepted, "Replace the micro switch.").await;
    assert_eq!(ann.accepts(&answer).await.status, 303);
    let unanswered = ann.asks("Mouse wheel skips", BODY, "mouse").await;
    let deleted = ann.asks("Mouse cursor drifts", BODY, "mouse").await;
    bob.answers(&deleted, "Clean the sensor window.").await;
    assert_eq!(
        staff
            .moderates(&deleted, &[("action", "delete")])
            .await
            .status,
        303
    );
    let dee = app.member("dee").await;
    let locked = dee.asks("Mouse lags over bluetooth", BODY, "mouse").await;
    bob.answers(&locked, "Move the receiver closer.").await;
    assert_eq!(
        staff.moderates(&locked, &[("action", "lock")]).await.status,
        303
    );
    let asked = dee.asks("Mouse buttons swapped", BODY, "mouse").await;
    bob.answers(&asked, "Check the left-handed setting.").await;

    run_jobs_in(&app, 10 * DAY);
    for quiet in [&accepted, &unanswered, &deleted, &locked] {
        assert!(nudges(&app, quiet).is_empty(), "{quiet:?} was nudged");
    }
    assert_eq!(nudges(&app, &asked).len(), 1, "the job did run");

    // Turned off: nothing, however long it waits.
    let off = TestApp::guide()
        .configure(|c| c.solved_nudge_days = 0)
        .start();
    let ann = off.member("ann").await;
    let bob = off.member("bob").await;
    let question = ann.asks("Webcam is black", BODY, "webcam").await;
    bob.answers(&question, "Open the privacy shutter.").await;
    run_jobs_in(&off, 60 * DAY);
    assert!(nudges(&off, &question).is_empty());
}

#[actix_web::test]
async fn only_the_asker_answers_and_stale_links_say_why() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let staff = app.staff("sam").await;
    let question = ann.asks("Router reboots at night", BODY, "router").await;
    let answer = bob
        .answers(&question, "Turn off the nightly update window.")
        .await;
    let other = ann.asks("Router loses DNS", BODY, "router").await;
    let elsewhere = bob.answers(&other, "Set a public DNS server.").await;
    let (ann_id, bob_id) = (app.user_id("ann"), app.user_id("bob"));

    // Another member's "still not solved": refused; a guest is sent to sign in.
    let page = bob
        .submit(
            &question.path,
            &format!("/questions/{}/still-unsolved", question.id),
            &[],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    let guest = app.client();
    let page = guest
        .post(&format!("/questions/{}/still-unsolved", question.id), &[])
        .await;
    assert!(matches!(page.status, 303 | 403), "{}", page.body);
    // Without the CSRF token, not even the asker.
    let page = ann
        .post(&format!("/questions/{}/still-unsolved", question.id), &[])
        .await;
    assert!(matches!(page.status, 400 | 403), "{}", page.body);
    assert_eq!(question_row(&app, question.id).unsolved_at, None);

    // A correctly signed link for someone who did not ask.
    let not_asker = signed_path(&app, bob_id, question.id, Some(answer.id));
    for page in [
        guest.get(&not_asker).await,
        guest.post(&not_asker, &[]).await,
    ] {
        assert_eq!(page.status, 403, "{}", page.body);
        page.assert_contains("not for the person who asked");
    }
    // An answer of another question.
    let wrong_answer = signed_path(&app, ann_id, question.id, Some(elsewhere.id));
    let page = guest.post(&wrong_answer, &[]).await;
    assert_eq!(page.status, 409, "{}", page.body);
    page.assert_contains("That answer was deleted");
    assert_eq!(question_row(&app, question.id).accepted_answer_id, None);

    // A deleted question.
    let yes = signed_path(&app, ann_id, question.id, Some(answer.id));
    assert_eq!(
        staff
            .moderates(&question, &[("action", "delete")])
            .await
            .status,
        303
    );
    let page = guest.get(&yes).await;
    assert_eq!(page.status, 404, "{}", page.body);
    page.assert_contains("This question was deleted");
    let page = guest.post(&yes, &[]).await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert_eq!(question_row(&app, question.id).accepted_answer_id, None);
    assert!(guest.get("/solved/1-2-3-nothex").await.status == 400);
}

/// The answer ids the notifications page offers to accept on `question`,
/// in page order.
fn offered(page: &str, question: QuestionId) -> Vec<String> {
    let action = format!("action=\"{}\"", signpost::paths::question_accept(question));
    page.split(&action)
        .skip(1)
        .filter_map(|form| crate::fixtures::field_value(form, "answer_id"))
        .collect()
}

#[actix_web::test]
async fn the_notifications_page_offers_each_open_question_its_own_best_answers() {
    let app = TestApp::guide().start();
    let sam = app.staff("sam").await;
    let answerers = [
        app.member("bob").await,
        app.member("cyd").await,
        app.member("dan").await,
        app.member("eve").await,
    ];
    // Answers per question; the asker is staff (no asking limit).
    let counts = [1, 2, 4, 3, 1, 2, 1];
    let mut asked = Vec::new();
    for (i, count) in counts.iter().enumerate() {
        let question = sam
            .asks(&format!("Display flickers case {i}"), BODY, "display")
            .await;
        let mut answers = Vec::new();
        for who in &answerers[..*count] {
            answers.push(
                who.answers(
                    &question,
                    &format!("Answer for case {i} by someone who knows."),
                )
                .await,
            );
        }
        asked.push((question, answers));
    }
    // The best answer by score comes first: eve's on case 2.
    assert_eq!(sam.votes(&asked[2].1[3], "up").await.status, 303);
    assert_eq!(sam.accepts(&asked[6].1[0]).await.status, 303);
    run_jobs_in(&app, 10 * DAY);
    // Case 6 has its answer accepted: no nudge. Case 5 is then locked.
    assert!(nudges(&app, &asked[6].0).is_empty());
    assert_eq!(
        sam.moderates(&asked[5].0, &[("action", "lock")])
            .await
            .status,
        303
    );

    let page = sam.get("/notifications").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for (i, (question, answers)) in asked.iter().enumerate() {
        let ids = |picked: &[usize]| -> Vec<String> {
            picked.iter().map(|&k| answers[k].id.to_string()).collect()
        };
        let expected = match i {
            // Eve's up-voted answer first, then the others by age, three at most.
            2 => ids(&[3, 0, 1]),
            5 | 6 => Vec::new(),
            _ => ids(&(0..counts[i]).collect::<Vec<_>>()),
        };
        assert_eq!(offered(&page.body, question.id), expected, "case {i}");
        let unsolved = signpost::paths::question_still_unsolved(question.id);
        assert_eq!(
            page.body.contains(&unsolved),
            !expected.is_empty(),
            "case {i}: the still-unsolved form"
        );
    }
    page.assert_contains("Answer for case 2 by someone who knows.");
}

#[actix_web::test]
async fn the_oldest_waiting_lists_are_oldest_first_and_leave_out_deleted_closed_and_solved() {
    use signpost::db::schema::questions::dsl as q;
    let app = TestApp::guide().start();
    let sam = app.staff("sam").await;
    let bob = app.member("bob").await;
    let mut asked = Vec::new();
    for i in 0..7 {
        asked.push(
            sam.asks(&format!("Speaker hums case {i}"), BODY, "speaker")
                .await,
        );
    }
    // Answered: 1, 3 (accepted), 4, 6; deleted: 2 (unanswered), 6; closed: 5 (unanswered).
    let mut answers = Vec::new();
    for i in [1, 3, 4, 6] {
        answers.push(
            bob.answers(&asked[i], "Move the cable away from the power supply.")
                .await,
        );
    }
    assert_eq!(sam.accepts(&answers[1]).await.status, 303);
    for i in [2, 6] {
        assert_eq!(
            sam.moderates(&asked[i], &[("action", "delete")])
                .await
                .status,
            303
        );
    }
    // Created in the reverse order of their numbers, a day apart.
    let now = unix_now();
    {
        let mut conn = app.started().state.db.get().expect("db");
        for (i, question) in asked.iter().enumerate() {
            diesel::update(q::questions.find(question.id))
                .set(q::created_at.eq(now - (i as i64 + 1) * DAY))
                .execute(&mut conn)
                .expect("age");
        }
        diesel::update(q::questions.find(asked[5].id))
            .set(q::closed_reason.eq(Some("off-topic")))
            .execute(&mut conn)
            .expect("close");
    }
    let mut conn = app.started().state.db.get().expect("db");
    let ids = |list: Vec<questions::Question>| list.into_iter().map(|q| q.id).collect::<Vec<_>>();
    assert_eq!(
        ids(questions::oldest_waiting(&mut conn, true, 10).expect("unanswered")),
        [asked[0].id],
        "unanswered: 2 deleted, 5 closed"
    );
    assert_eq!(
        ids(questions::oldest_waiting(&mut conn, false, 10).expect("unsolved")),
        [asked[4].id, asked[1].id],
        "answered, unsolved, oldest first"
    );
    assert_eq!(
        ids(questions::oldest_waiting(&mut conn, false, 1).expect("unsolved")),
        [asked[4].id],
        "the limit keeps the oldest"
    );
}

/// One sweep asks about every due question of a site with several
/// batches of them, each once: a batch goes on after the last question of
/// the one before, and a second sweep finds none left.
#[test]
fn a_sweep_asks_about_every_due_question_across_batches_once() {
    use signpost::db::schema::{notifications as n, questions as q};
    use signpost::service::demo_data::{self, DemoOptions};
    let (_dir, config) = TestApp::builder().prepare();
    let pool = signpost::db::open(&config.database(), signpost::config::PoolSettings::sized(1))
        .expect("db");
    let mut conn = pool.get().expect("conn");
    demo_data::generate(
        &mut conn,
        DemoOptions {
            questions: 1000,
            answers_per_question: 2,
            seed: 11,
            users: 30,
        },
        &|_, _| {},
    )
    .expect("generate");
    let due: Vec<QuestionId> = q::table
        .filter(q::accepted_answer_id.is_null())
        .filter(q::answer_count.gt(0))
        .filter(q::deleted_at.is_null())
        .filter(q::locked.eq(false))
        .filter(q::closed_reason.is_null())
        .order(q::id)
        .select(q::id)
        .load(&mut conn)
        .expect("due questions");
    assert!(
        due.len() > 200,
        "{} due: fewer than three batches",
        due.len()
    );
    let later = unix_now() + 365 * DAY;
    let asked = signpost::service::questions::send_nudges(&mut conn, 3, later).expect("sweep");
    assert_eq!(asked, due.len());
    let nudged: Vec<Option<QuestionId>> = n::table
        .filter(n::kind.eq(notifications::SOLVED_NUDGE))
        .order(n::question_id)
        .select(n::question_id)
        .load(&mut conn)
        .expect("notifications");
    let due_ids: Vec<Option<QuestionId>> = due.into_iter().map(Some).collect();
    assert_eq!(nudged, due_ids, "each due question asked about once");
    let again =
        signpost::service::questions::send_nudges(&mut conn, 3, later + DAY).expect("sweep");
    assert_eq!(again, 0);
}
