//! Heading ids and the table of contents: every heading gets a unique id
//! (an explicit `{#id}` wins), trusted content a `#` link to it.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Tag, TagEnd};

use super::{slugify, Events, Profile, TocEntry};

/// Heading ids handed out so far, and the next number to try per base id.
#[derive(Default)]
struct UniqueIds {
    used: HashSet<String>,
    next_suffix: HashMap<String, usize>,
}

impl UniqueIds {
    /// `base`, or `base-1`, `base-2`… whichever is free first.
    fn claim(&mut self, base: String) -> String {
        let mut unique = base.clone();
        if self.used.contains(&unique) {
            let n = self.next_suffix.entry(base.clone()).or_insert(1);
            while self.used.contains(&unique) {
                unique = format!("{base}-{n}");
                *n += 1;
            }
        }
        self.used.insert(unique.clone());
        unique
    }
}

/// A heading being read: where its start event is, and its text so far.
struct OpenHeading {
    start: usize,
    level: HeadingLevel,
    explicit: Option<String>,
    title: String,
}

/// Gives every heading a unique id (explicit `{#id}` wins) and collects the
/// table of contents. Trusted content also gets a `#` link to the heading.
pub(super) fn assign_heading_ids(
    events: Events<'_>,
    profile: Profile,
) -> (Events<'_>, Vec<TocEntry>, Vec<String>) {
    let mut out: Events<'_> = Vec::with_capacity(events.len() + 8);
    let mut toc = Vec::new();
    let mut anchors = Vec::new();
    let mut ids = UniqueIds::default();
    let mut open: Option<OpenHeading> = None;
    for (mut event, range) in events {
        match &mut event {
            Event::Start(Tag::Heading { id, .. }) if profile == Profile::UserPost => *id = None,
            Event::Start(Tag::Heading { level, id, .. }) => {
                open = Some(OpenHeading {
                    start: out.len(),
                    level: *level,
                    explicit: id.as_ref().map(|s| s.to_string()),
                    title: String::new(),
                });
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(heading) = open.as_mut() {
                    heading.title.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(heading) = open.take() {
                    let base = heading.explicit.unwrap_or_else(|| slugify(&heading.title));
                    let unique = ids.claim(base);
                    if let Event::Start(Tag::Heading { id, .. }) = &mut out[heading.start].0 {
                        *id = Some(CowStr::from(unique.clone()));
                    }
                    out.push((
                        Event::Html(
                            format!(" <a class=\"anchor\" href=\"#{unique}\">#</a>").into(),
                        ),
                        range.clone(),
                    ));
                    if matches!(heading.level, HeadingLevel::H2 | HeadingLevel::H3) {
                        toc.push(TocEntry {
                            level: if heading.level == HeadingLevel::H2 {
                                2
                            } else {
                                3
                            },
                            id: unique.clone(),
                            title: heading.title.trim().to_string(),
                        });
                    }
                    anchors.push(unique);
                }
            }
            _ => {}
        }
        out.push((event, range));
    }
    (out, toc, anchors)
}
