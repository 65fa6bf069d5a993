//! Following questions and tags: automatic follows (asking, answering), the
//! Follow/Unfollow forms, who is notified of what (once per event, never
//! the actor), and the forms' guards.

use signpost::db::models::follows::{self, Followed};
use signpost::db::models::notifications;

use crate::comments::commented;
use crate::fixtures::{Answer, Person, Post, Question, BODY};
use crate::harness::{csrf_of, TestApp};
use crate::mail::verified_address;
use crate::smtp_sink::SmtpSink;

fn app() -> TestApp {
    TestApp::guide().start()
}

/// The kinds of `name`'s notifications, oldest first.
fn kinds(app: &TestApp, name: &str) -> Vec<String> {
    let id = app.user_id(name);
    let mut conn = app.started().state.db.get().expect("db");
    let mut list = notifications::recent(&mut conn, id, 1000).expect("notifications");
    list.reverse();
    list.into_iter().map(|n| n.kind).collect()
}

fn follows_question(app: &TestApp, name: &str, q: &Question) -> bool {
    let id = app.user_id(name);
    let mut conn = app.started().state.db.get().expect("db");
    follows::is_following(&mut conn, id, Followed::Question(q.id)).expect("query")
}

async fn follow(person: &Person<'_>, q: &Question) {
    let page = person.submit(&q.path, &q.action("follow"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.header("location"), q.path);
}

async fn unfollow(person: &Person<'_>, q: &Question) {
    let page = person.submit(&q.path, &q.action("unfollow"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.header("location"), q.path);
}

async fn follow_tag(person: &Person<'_>, tag: &str, action: &str) {
    let page = format!("/tags/{tag}");
    let done = person
        .submit(&page, &format!("/tags/{tag}/{action}"), &[])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), page);
}

async fn edit(person: &Person<'_>, answer: &Answer, body: &str) {
    let edited = person
        .edits(answer, &[("body", body), ("note", "clearer")])
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
}

#[actix_web::test]
async fn asking_and_answering_follow_the_question() {
    let app = app();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let q = ann
        .asks("Printer drops off the Wi-Fi at night", BODY, "printer")
        .await;
    assert!(follows_question(&app, "ann", &q), "the asker follows");
    assert!(!follows_question(&app, "bob", &q));
    bob.answers(&q, "Turn off the power saving mode of the printer.")
        .await;
    assert!(follows_question(&app, "bob", &q), "an answerer follows");
    assert!(!follows_question(&app, "cat", &q), "a reader does not");

    // The page shows each viewer where they stand.
    let page = bob.get(&q.path).await;
    page.assert_contains(&format!("action=\"{}\"", q.action("unfollow")));
    page.assert_contains("You follow this question.");
    let page = cat.get(&q.path).await;
    page.assert_contains(&format!("action=\"{}\"", q.action("follow")));
    assert!(!page.body.contains("You follow this question."));
    let page = app.client().get(&q.path).await;
    page.assert_contains(&format!(
        "<a href=\"/login?next={}\">Sign in to follow this question</a>",
        q.path.replace('/', "%2F")
    ));
    assert!(!page.body.contains(&q.action("follow")));

    // The account page lists it, with a way to unfollow that comes back.
    let account = ann.get("/account").await;
    account.assert_contains(&format!(
        "<a href=\"{}\">Printer drops off the Wi-Fi at night</a>",
        q.path
    ));
    account.assert_contains(&format!("action=\"{}\"", q.action("unfollow")));
    let token = csrf_of(&account.body).expect("csrf");
    let done = ann
        .post(
            &q.action("unfollow"),
            &[("csrf", &token), ("next", "/account#following")],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), "/account#following");
    assert!(!follows_question(&app, "ann", &q));
    let account = ann.get("/account").await;
    assert!(!account.body.contains(&q.path), "{}", account.body);
    account.assert_contains("You follow nothing yet.");
}

#[actix_web::test]
async fn a_third_follower_hears_of_new_answers_and_nobody_of_their_own() {
    let app = app();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let q = ann
        .asks("Scanner makes a grinding noise", BODY, "scanner")
        .await;
    follow(&cat, &q).await;
    assert!(follows_question(&app, "cat", &q));
    let a = bob
        .answers(&q, "The carriage lock is still engaged; slide it open.")
        .await;
    assert_eq!(kinds(&app, "ann"), [notifications::NEW_ANSWER]);
    assert_eq!(kinds(&app, "cat"), [notifications::NEW_ANSWER]);
    assert!(kinds(&app, "bob").is_empty(), "the answerer is not told");

    let inbox = cat.get("/notifications").await;
    inbox.assert_contains(
        "New answer on \u{201c}Scanner makes a grinding noise\u{201d}, which you follow",
    );
    inbox.assert_contains(&format!("href=\"{}#answer-{}\"", q.path, a.id));
    let inbox = ann.get("/notifications").await;
    inbox.assert_contains(
        "New answer on your question \u{201c}Scanner makes a grinding noise\u{201d}",
    );

    // A second answer by a follower: the others hear, the follower does not.
    cat.answers(&q, "Also check that nothing is stuck under the lid.")
        .await;
    assert_eq!(kinds(&app, "ann").len(), 2);
    assert_eq!(kinds(&app, "bob"), [notifications::NEW_ANSWER]);
    assert_eq!(kinds(&app, "cat"), [notifications::NEW_ANSWER]);
    // The asker answering their own question tells the others only.
    ann.answers(&q, "Update: it was the carriage lock, thank you.")
        .await;
    assert_eq!(kinds(&app, "ann").len(), 2);
    assert_eq!(kinds(&app, "bob").len(), 2);
    assert_eq!(kinds(&app, "cat").len(), 2);
}

#[actix_web::test]
async fn unfollowing_stops_notifications_and_a_later_answer_does_not_undo_it() {
    let app = app();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let q = ann.asks("Fax tone never arrives", BODY, "fax").await;
    unfollow(&ann, &q).await;
    bob.answers(&q, "Check that the line cable is in the LINE socket.")
        .await;
    assert!(
        kinds(&app, "ann").is_empty(),
        "an unfollowed asker hears nothing"
    );

    // Unfollowing is remembered: answering again does not follow again.
    unfollow(&bob, &q).await;
    bob.answers(&q, "And set the dial mode to tone, not pulse.")
        .await;
    assert!(!follows_question(&app, "bob", &q));
    ann.answers(&q, "Neither helped, the line is fine.").await;
    assert!(!follows_question(&app, "ann", &q));
    cat.answers(&q, "Lower the fax speed to 9600 bps.").await;
    assert!(kinds(&app, "ann").is_empty());
    assert!(kinds(&app, "bob").is_empty());

    // Following by hand wins over the remembered unfollow.
    follow(&ann, &q).await;
    assert!(follows_question(&app, "ann", &q));
    cat.answers(&q, "Or disable error correction mode (ECM).")
        .await;
    assert_eq!(kinds(&app, "ann"), [notifications::NEW_ANSWER]);
    assert!(kinds(&app, "bob").is_empty());
    // Following twice is still one follow, told once.
    follow(&ann, &q).await;
    bob.answers(&q, "Try another wall socket too.").await;
    assert_eq!(kinds(&app, "ann").len(), 2);
}

#[actix_web::test]
async fn tag_followers_hear_of_new_questions_once() {
    let app = app();
    // Staff may ask more than three questions an hour.
    let ann = app.staff("ann").await;
    let cat = app.member("cat").await;
    let dan = app.member("dan").await;
    // Tags exist once a question carries them.
    ann.asks("Printer offline after router swap", BODY, "printer, wifi")
        .await;
    ann.asks("Toner light blinks", BODY, "toner").await;
    follow_tag(&cat, "printer", "follow").await;
    follow_tag(&cat, "wifi", "follow").await;
    follow_tag(&dan, "wifi", "follow").await;
    follow_tag(&ann, "printer", "follow").await;
    let page = cat.get("/tags/printer").await;
    page.assert_contains("action=\"/tags/printer/unfollow\"");
    page.assert_contains("You follow this tag.");
    let page = app.client().get("/tags/printer").await;
    page.assert_contains(
        "<a href=\"/login?next=%2Ftags%2Fprinter\">Sign in to follow this tag</a>",
    );
    let account = cat.get("/account").await;
    account.assert_contains("<a class=\"tag\" href=\"/tags/printer\">printer</a>");
    account.assert_contains("<a class=\"tag\" href=\"/tags/wifi\">wifi</a>");

    // Both tags followed: one notification. The asker follows a tag too,
    // and is not told of their own question.
    let q = ann
        .asks("Printer forgets the Wi-Fi password", BODY, "wifi, printer")
        .await;
    assert_eq!(kinds(&app, "cat"), [notifications::NEW_QUESTION]);
    assert_eq!(kinds(&app, "dan"), [notifications::NEW_QUESTION]);
    assert!(kinds(&app, "ann").is_empty());
    let inbox = cat.get("/notifications").await;
    inbox.assert_contains(&format!(
        "<a href=\"{}\">New question with a tag you follow: \u{201c}Printer forgets the Wi-Fi password\u{201d}</a>",
        q.path
    ));
    // A question with no followed tag tells nobody.
    ann.asks("Toner smudges the page", BODY, "toner").await;
    assert_eq!(kinds(&app, "cat").len(), 1);
    // Unfollowed tags are quiet; the other followed tag still counts once.
    follow_tag(&cat, "wifi", "unfollow").await;
    ann.asks("Printer drops jobs over Wi-Fi", BODY, "printer, wifi")
        .await;
    assert_eq!(kinds(&app, "cat").len(), 2);
    follow_tag(&cat, "printer", "unfollow").await;
    ann.asks("Printer shows a paper jam", BODY, "printer").await;
    assert_eq!(kinds(&app, "cat").len(), 2);
    assert_eq!(kinds(&app, "dan").len(), 2);
    // Someone who follows a tag of the question and the question itself
    // (by answering) still hears of each later answer once.
    dan.answers(&q, "Forget the network and join it again.")
        .await;
    cat.answers(&q, "Update the firmware first.").await;
    assert_eq!(
        kinds(&app, "dan"),
        [
            notifications::NEW_QUESTION,
            notifications::NEW_QUESTION,
            notifications::NEW_ANSWER
        ]
    );
}

#[actix_web::test]
async fn acceptance_and_edits_of_the_accepted_answer_notify_followers_once() {
    let app = app();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let dan = app.member("dan").await;
    let sam = app.staff("sam").await;
    let q = ann
        .asks("Duplex printing skips pages", BODY, "printer")
        .await;
    let first = bob
        .answers(&q, "Turn off the paper-saving mode in the driver.")
        .await;
    let second = dan
        .answers(&q, "Update the driver; the old one skips even pages.")
        .await;
    follow(&cat, &q).await;
    let before = |name: &str| kinds(&app, name).len();
    let (ann0, bob0, cat0, dan0) = (before("ann"), before("bob"), before("cat"), before("dan"));

    // The asker accepts: the answer's author and the followers hear once.
    assert_eq!(ann.accepts(&first).await.status, 303);
    let new = |name: &str, from: usize| kinds(&app, name)[from..].to_vec();
    assert!(new("ann", ann0).is_empty(), "the asker accepted");
    assert_eq!(new("bob", bob0), [notifications::ANSWER_ACCEPTED]);
    assert_eq!(new("cat", cat0), [notifications::ACCEPTED]);
    assert_eq!(new("dan", dan0), [notifications::ACCEPTED]);
    cat.get("/notifications")
        .await
        .assert_contains("An answer was accepted on \u{201c}Duplex printing skips pages\u{201d}");

    // Staff move the mark: the asker hears that staff accepted, the new
    // answer's author that theirs was accepted, the rest once each.
    let (ann1, bob1, cat1, dan1) = (before("ann"), before("bob"), before("cat"), before("dan"));
    assert_eq!(sam.accepts(&second).await.status, 303);
    assert_eq!(new("ann", ann1), [notifications::STAFF_ACCEPTED]);
    assert_eq!(new("dan", dan1), [notifications::ANSWER_ACCEPTED]);
    assert_eq!(new("bob", bob1), [notifications::ACCEPTED]);
    assert_eq!(new("cat", cat1), [notifications::ACCEPTED]);
    assert!(
        kinds(&app, "sam").is_empty(),
        "staff are not told of their own doing"
    );

    // An edit of the accepted answer tells the followers, not its editor.
    let (ann2, bob2, cat2, dan2) = (before("ann"), before("bob"), before("cat"), before("dan"));
    edit(
        &dan,
        &second,
        "Update the driver to 2.1; the old one skips even pages.",
    )
    .await;
    assert_eq!(new("ann", ann2), [notifications::ACCEPTED_EDITED]);
    assert_eq!(new("bob", bob2), [notifications::ACCEPTED_EDITED]);
    assert_eq!(new("cat", cat2), [notifications::ACCEPTED_EDITED]);
    assert!(new("dan", dan2).is_empty());
    ann.get("/notifications").await.assert_contains(
        "The accepted answer on \u{201c}Duplex printing skips pages\u{201d} was edited",
    );
    // An edit of an answer that is not accepted tells nobody.
    let (ann3, cat3, dan3) = (before("ann"), before("cat"), before("dan"));
    edit(
        &bob,
        &first,
        "Turn off the paper-saving mode in the printer driver.",
    )
    .await;
    assert_eq!(before("ann"), ann3);
    assert_eq!(before("cat"), cat3);
    assert_eq!(before("dan"), dan3);
    // An author who unfollowed still hears that their answer was accepted.
    unfollow(&bob, &q).await;
    let bob4 = before("bob");
    assert_eq!(ann.accepts(&first).await.status, 303);
    assert_eq!(new("bob", bob4), [notifications::ANSWER_ACCEPTED]);
}

#[actix_web::test]
async fn follow_forms_refuse_guests_missing_tokens_and_others_accounts() {
    let app = app();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let q = ann.asks("Cartridge not recognised", BODY, "toner").await;

    // A guest is sent to sign in, coming back to the question; nothing changes.
    let guest = app.client();
    let token = guest.csrf(&q.path).await;
    let page = guest.post(&q.action("follow"), &[("csrf", &token)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.header("location"),
        format!("/login?next=%2Fquestions%2F{}", q.id)
    );
    let page = guest.post("/tags/toner/follow", &[("csrf", &token)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), "/login?next=%2Ftags%2Ftoner");
    // Without a token, or with someone else's, a member is refused.
    assert_eq!(bob.post(&q.action("follow"), &[]).await.status, 403);
    let anns_token = ann.csrf(&q.path).await;
    let page = bob
        .post(&q.action("follow"), &[("csrf", &anns_token)])
        .await;
    assert_eq!(page.status, 403);
    assert!(!follows_question(&app, "bob", &q));
    // Nobody can unfollow for someone else: the form acts on the signed-in
    // member only, whatever else it carries.
    let ann_id = app.user_id("ann").to_string();
    let bobs_token = bob.csrf(&q.path).await;
    let page = bob
        .post(
            &q.action("unfollow"),
            &[("csrf", &bobs_token), ("user_id", &ann_id), ("user", "ann")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(follows_question(&app, "ann", &q), "ann still follows");
    // An outside `next` is not followed.
    let page = bob
        .post(
            &q.action("follow"),
            &[("csrf", &bobs_token), ("next", "//evil.example/")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), q.path);
    assert!(follows_question(&app, "bob", &q));
}

#[actix_web::test]
async fn following_what_does_not_exist_is_a_404_page() {
    let app = app();
    let ann = app.member("ann").await;
    let sam = app.staff("sam").await;
    let q = ann.asks("Paper jams in tray two", BODY, "paper").await;
    let token = ann.csrf(&q.path).await;
    for path in [
        "/questions/999999/follow",
        "/questions/999999/unfollow",
        "/questions/abc/follow",
        "/questions/0/follow",
        "/tags/no-such-tag/follow",
        "/tags/no-such-tag/unfollow",
    ] {
        let page = ann.post(path, &[("csrf", &token)]).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        page.assert_contains("<html");
    }
    // A deleted question cannot be followed by members.
    assert_eq!(sam.moderates(&q, &[("action", "delete")]).await.status, 303);
    let page = ann.post(&q.action("follow"), &[("csrf", &token)]).await;
    assert_eq!(page.status, 404, "{}", page.body);
    // A deleted question is not listed as followed.
    let account = ann.get("/account").await;
    assert!(!account.body.contains(&q.path), "{}", account.body);
}

#[actix_web::test]
async fn followers_are_mailed_what_happened_on_what_they_follow() {
    let sink = SmtpSink::start();
    let app = TestApp::guide().configure(sink.configure()).start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    verified_address(&app, "ann", "ann@example.com");
    verified_address(&app, "cat", "cat@example.com");
    let q = ann
        .asks("Printer forgets its Wi-Fi password", BODY, "printer")
        .await;
    follow(&cat, &q).await;
    follow_tag(&cat, "printer", "follow").await;
    bob.answers(&q, "Update the firmware, then join the network again.")
        .await;
    let mails = sink.wait_for(2);
    let to = |address: &str| {
        mails
            .iter()
            .find(|m| m.to == [address])
            .unwrap_or_else(|| panic!("no mail to {address}: {mails:#?}"))
            .text()
    };
    assert!(
        to("ann@example.com").contains("bob answered your question"),
        "{}",
        to("ann@example.com")
    );
    assert!(
        to("cat@example.com")
            .contains("bob answered \"Printer forgets its Wi-Fi password\", which you follow."),
        "{}",
        to("cat@example.com")
    );
    // A new question with a followed tag is mailed once, to the tag's
    // follower only.
    bob.asks("Printer prints blank pages", BODY, "printer")
        .await;
    let mails = sink.wait_for(3);
    let last = &mails[2];
    assert_eq!(last.to, ["cat@example.com"]);
    assert_eq!(
        last.subject(),
        "New question: \"Printer prints blank pages\""
    );
    assert!(last
        .text()
        .contains("bob asked \"Printer prints blank pages\" with a tag you follow."));
    // Once the queue is drained, nothing more was sent.
    let drained = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut conn = app.started().state.db.get().expect("db");
        let (queued, given_up) = signpost::service::mail::queue_counts(&mut conn).expect("counts");
        assert_eq!(given_up, 0);
        if queued == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < drained,
            "{queued} mail jobs left"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(sink.messages().len(), 3, "{:#?}", sink.messages());
}

#[actix_web::test]
async fn commenters_follow_and_followers_hear_of_comments_once() {
    let app = app();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let dan = app.member("dan").await;
    let q = ann
        .asks("Router drops Wi-Fi every hour", BODY, "router")
        .await;
    let a = bob
        .answers(&q, "Switch the 5 GHz band to a fixed channel.")
        .await;
    follow(&dan, &q).await;
    let before = |name: &str| kinds(&app, name).len();
    let (ann0, bob0, dan0) = (before("ann"), before("bob"), before("dan"));
    // cat comments on the answer: she follows the question now; bob hears
    // of a comment on his post, ann and dan as followers, cat nothing.
    let c = commented(&cat, &a, "Which firmware version is it?").await;
    assert!(follows_question(&app, "cat", &q), "a commenter follows");
    let new = |name: &str, from: usize| kinds(&app, name)[from..].to_vec();
    assert_eq!(new("bob", bob0), [notifications::NEW_COMMENT]);
    assert_eq!(new("ann", ann0), [notifications::FOLLOWED_COMMENT]);
    assert_eq!(new("dan", dan0), [notifications::FOLLOWED_COMMENT]);
    assert!(kinds(&app, "cat").is_empty());
    dan.get("/notifications").await.assert_contains(&format!(
        "<a href=\"{}#comment-{c}\">New comment on \u{201c}Router drops Wi-Fi every hour\u{201d}, which you follow</a>",
        q.path
    ));
    // The commenter hears of the next answer as a follower.
    dan.answers(&q, "Update the router's firmware first.").await;
    assert_eq!(kinds(&app, "cat"), [notifications::NEW_ANSWER]);
    // Unfollowing is remembered across comments too.
    unfollow(&cat, &q).await;
    commented(&cat, &q, "Mine is on 1.2.3, for what it is worth.").await;
    assert!(!follows_question(&app, "cat", &q));
    bob.answers(&q, "1.2.3 has the bug; 1.2.4 fixes it.").await;
    assert_eq!(kinds(&app, "cat").len(), 1);
}
