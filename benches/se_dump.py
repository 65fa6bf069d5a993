#!/usr/bin/env python3
"""Writes a synthetic Stack Exchange dump (Users.xml, Posts.xml) for timing
`signpost import stackexchange`: Zipf-distributed words, HTML bodies with
paragraphs and code, both tag formats, accepted answers.

    python3 benches/se_dump.py DIR [QUESTIONS] [ANSWERS_PER_QUESTION]
"""
import os
import random
import sys
from xml.sax.saxutils import quoteattr

out = sys.argv[1]
questions = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
answers = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rng = random.Random(42)
syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pre", "con", "dex", "tor"]
words = ["printer", "router", "error", "install", "update", "password", "server", "network"]
while len(words) < 5000:
    words.append("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
weights = [1 / (rank ** 1.07) for rank in range(1, len(words) + 1)]


def text(lo, hi):
    return " ".join(rng.choices(words, weights, k=rng.randint(lo, hi)))


def body():
    parts = ["<p>%s.</p>" % text(12, 60) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        parts.append("<pre><code>%s\n%s</code></pre>" % (text(3, 6), text(3, 6)))
    return "\n".join(parts)


os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "Users.xml"), "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<users>\n')
    for u in range(1, 1001):
        f.write('  <row Id="%d" CreationDate="2012-01-01T00:00:00.000" DisplayName=%s />\n' % (u, quoteattr("user %d" % u)))
    f.write("</users>\n")
post_id = 1
with open(os.path.join(out, "Posts.xml"), "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
    for q in range(questions):
        qid = post_id
        tags = rng.sample(words[:200], rng.randint(1, 3))
        tag_text = "".join("<%s>" % t for t in tags) if q % 2 else "|%s|" % "|".join(tags)
        accepted = qid + 1 if answers and rng.random() < 0.6 else None
        f.write('  <row Id="%d" PostTypeId="1"%s CreationDate="2015-03-04T05:06:07.000" Score="%d" Body=%s OwnerUserId="%d" Title=%s Tags=%s />\n' % (
            qid, ' AcceptedAnswerId="%d"' % accepted if accepted else "", rng.randint(-2, 40), quoteattr(body()),
            rng.randint(1, 1000), quoteattr(text(5, 12).capitalize()), quoteattr(tag_text)))
        post_id += 1
        for _ in range(answers):
            f.write('  <row Id="%d" PostTypeId="2" ParentId="%d" CreationDate="2015-03-05T05:06:07.000" Score="%d" Body=%s OwnerUserId="%d" />\n' % (
                post_id, qid, rng.randint(-1, 30), quoteattr(body()), rng.randint(1, 1000)))
            post_id += 1
    f.write("</posts>\n")
print("wrote %d posts to %s" % (post_id - 1, out))
