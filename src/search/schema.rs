//! The index schema, built in one place, and the two text analyzers.
//!
//! Every text field exists twice. The plain copy (`title`, `body`, `tags`) is
//! split on non-alphanumerics, lowercased and folded to ASCII, so its term
//! dictionary holds real words that typo correction and "did you mean" can
//! offer back to the customer, and an exact word form scores there. The
//! stemmed copy (`title_stem`, `body_stem`) also runs the English Snowball
//! stemmer, so "installing" meets "install" and "printers" meets "printer".
//! Both read negative contractions as `not` ("won't" is `won not`, "cannot"
//! is `can not`; see [`super::negation`]).
//! The candidates of a search are selected by a third copy of the stemmed
//! title, `title_select`, which leaves out the answers: an answer document
//! repeats its thread's title, so the stemmed title's lists are about four
//! times as long as the threads they name.
//! Stop words are indexed in both: they never decide whether a document
//! matches (the query planner leaves them out of the match), but their
//! positions still count for phrase and proximity scoring.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::Index;

use super::negation::Negations;
use super::spelling::AmericanSpelling;

/// Bump when the schema, an analyzer, the index settings or what the
/// search feed puts in documents changes: old indexes are then rebuilt.
pub const VERSION: u32 = 13;

/// Name of the plain analyzer (the `title`, `body` and `tags` fields).
pub const ANALYZER: &str = "signpost";

/// Name of the stemming English analyzer (the `*_stem` fields).
pub const STEM_ANALYZER: &str = "signpost_en";

/// Longest token indexed, in bytes; longer ones are dropped.
pub(crate) const MAX_TOKEN_BYTES: usize = 40;

/// Field handles.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Replacement unit (`article:12`), raw.
    pub group: Field,
    /// `article`, `step`, `question`, raw.
    pub kind: Field,
    /// Link target, stored only.
    pub url: Field,
    /// Title text.
    pub title: Field,
    /// Body text.
    pub body: Field,
    /// Tags text.
    pub tags: Field,
    /// Title text, stemmed (indexed only).
    pub title_stem: Field,
    /// Body text, stemmed (indexed only).
    pub body_stem: Field,
    /// The stemmed title of every document but an answer (which repeats
    /// its thread's title), without positions: the field candidates are
    /// selected by (indexed only; see `query::candidates`).
    pub title_select: Field,
    /// Breadcrumb, stored only.
    pub breadcrumb: Field,
    /// Ranking multiplier in thousandths ([`boost_value`]), fast.
    pub boost: Field,
    /// 1 for solved questions, fast.
    pub solved: Field,
    /// Key of `group` ([`group_key`]), fast: results of one group are
    /// collapsed.
    pub group_hash: Field,
    /// Most results shown per group (0: no limit), fast.
    pub group_limit: Field,
    /// 0 for the document standing for its whole group (the question, the
    /// article), 1 for a part of it (an answer, a section), fast.
    pub part: Field,
    /// 32-bit hash of the title's words ([`title_key`]), fast: results
    /// titled alike are told apart.
    pub title_hash: Field,
}

impl Fields {
    /// Looks every field up in `schema`.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        Ok(Fields {
            group: schema.get_field("group")?,
            kind: schema.get_field("kind")?,
            url: schema.get_field("url")?,
            title: schema.get_field("title")?,
            body: schema.get_field("body")?,
            tags: schema.get_field("tags")?,
            title_stem: schema.get_field("title_stem")?,
            body_stem: schema.get_field("body_stem")?,
            title_select: schema.get_field("title_select")?,
            breadcrumb: schema.get_field("breadcrumb")?,
            boost: schema.get_field("boost")?,
            solved: schema.get_field("solved")?,
            group_hash: schema.get_field("group_hash")?,
            group_limit: schema.get_field("group_limit")?,
            part: schema.get_field("part")?,
            title_hash: schema.get_field("title_hash")?,
        })
    }

    /// The plain (unstemmed) fields a query word is looked up in, with their
    /// weights. Their dictionaries feed typo expansion and "did you mean".
    pub fn text_fields(&self) -> [(Field, f32); 3] {
        [(self.title, 2.0), (self.tags, 2.0), (self.body, 1.0)]
    }

    /// The stemmed fields, with their weights (below the plain ones, so an
    /// exact word form scores higher than another form of the same stem).
    pub fn stem_fields(&self) -> [(Field, f32); 2] {
        [(self.title_stem, 1.3), (self.body_stem, 0.7)]
    }
}

/// Builds the schema.
pub fn build() -> Schema {
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEM_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let mut builder = Schema::builder();
    builder.add_text_field("group", STRING);
    builder.add_text_field("kind", STRING | STORED);
    builder.add_text_field("url", STORED);
    builder.add_text_field("title", text.clone());
    builder.add_text_field("body", text.clone());
    builder.add_text_field("tags", text);
    builder.add_text_field("title_stem", stemmed.clone());
    builder.add_text_field("body_stem", stemmed);
    builder.add_text_field(
        "title_select",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(STEM_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    builder.add_text_field("breadcrumb", STORED);
    builder.add_u64_field("boost", FAST);
    builder.add_u64_field("solved", FAST | STORED);
    builder.add_u64_field("group_hash", FAST);
    builder.add_u64_field("group_limit", FAST);
    builder.add_u64_field("part", FAST);
    builder.add_u64_field("title_hash", FAST);
    builder.build()
}

/// The plain analyzer: simple tokenizer, long tokens dropped, lowercase,
/// ASCII folding, negative contractions as `not`.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Negations)
        .build()
}

/// The English analyzer: the plain one, British spellings folded into
/// American ones ([`super::spelling`]), then the Snowball stemmer.
pub fn stem_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Negations)
        .filter(AmericanSpelling)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The stem of one plain term (as produced by [`analyzer`]).
pub fn stem(term: &str) -> String {
    thread_local! {
        // Built once per thread: a query stems every word and its variants.
        static ANALYZER: std::cell::RefCell<TextAnalyzer> =
            std::cell::RefCell::new(stem_analyzer());
    }
    ANALYZER.with_borrow_mut(|analyzer| {
        let mut stream = analyzer.token_stream(term);
        match stream.next() {
            Some(token) => token.text.clone(),
            None => term.to_string(),
        }
    })
}

/// Registers the analyzers on an index (needed after every open).
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
    index.tokenizers().register(STEM_ANALYZER, stem_analyzer());
}

/// A stable 64-bit hash of a key such as a group or a title's words
/// (FNV-1a), the same on every build.
pub fn group_hash(group: &str) -> u64 {
    group.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

// The fast columns are read for every candidate of every search, so at
// 1,000,000 documents they are mapped whole: three 64-bit values per
// document made 7 MB per segment of 330,000. The keys below pack into a
// few bits each where they can.

/// Kinds whose groups are numbered (`question:42`,
/// `search_feed::group_key`).
const NUMBERED_GROUPS: [&str; 4] = ["question", "issue", "step", "article"];

/// Largest group number kept as a number (larger ones are hashed).
const MAX_GROUP_NUMBER: u64 = 1 << 40;

/// The fast-column key of a group: a numbered group's number with its kind
/// in the low three bits (consecutive groups of one kind pack into a few
/// bits per document), any other group its hash with the top bit set, so
/// the two never meet. Two groups share a key only when their hashes do.
pub fn group_key(group: &str) -> u64 {
    let numbered = group.split_once(':').and_then(|(kind, number)| {
        let code = NUMBERED_GROUPS.iter().position(|k| *k == kind)? as u64;
        let n: u64 = number.parse().ok()?;
        // `question:07` is not `question:7`: only the canonical spelling.
        (n < MAX_GROUP_NUMBER && n.to_string() == number).then_some((n << 3) | (code + 1))
    });
    numbered.unwrap_or_else(|| group_hash(group) | 1 << 63)
}

/// The fast-column key of a title's words: a 32-bit hash. Two different
/// titles share one about once in four billion pairs, and then only cost
/// the later result a small ranking step.
pub fn title_key(words: &str) -> u64 {
    let hash = group_hash(words);
    (hash ^ (hash >> 32)) & 0xffff_ffff
}

/// Boosts are kept in thousandths: ranking raises them to a small power,
/// so a thousandth can at most make two nearly equal boosts tie (the eval
/// set ranks exactly as before), and the column packs into 13 bits (boosts
/// run up to 8).
const BOOST_SCALE: f64 = 1000.0;

/// The stored form of a ranking multiplier (1 when not positive).
pub fn boost_value(boost: f64) -> u64 {
    let boost = if boost > 0.0 && boost.is_finite() {
        boost
    } else {
        1.0
    };
    (boost * BOOST_SCALE).round().max(1.0) as u64
}

/// The ranking multiplier a stored [`boost_value`] stands for.
pub fn boost_of(value: u64) -> f64 {
    value as f64 / BOOST_SCALE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stemming_joins_word_forms() {
        assert_eq!(stem("installing"), stem("install"));
        assert_eq!(stem("installed"), stem("install"));
        assert_eq!(stem("printers"), stem("printer"));
        assert_ne!(stem("printer"), stem("paper"));
    }

    #[test]
    fn stemming_joins_british_and_american_spellings() {
        assert_eq!(stem("analyser"), stem("analyzer"));
        assert_eq!(stem("analysing"), stem("analyze"));
        assert_eq!(stem("colours"), stem("color"));
        assert_eq!(stem("organised"), stem("organizing"));
        assert_ne!(stem("four"), stem("for"));
    }

    #[test]
    fn group_keys_are_compact_and_never_meet() {
        assert_eq!(group_key("question:1"), (1 << 3) | 1);
        assert_eq!(group_key("article:12"), (12 << 3) | 4);
        let keys = [
            group_key("question:5"),
            group_key("issue:5"),
            group_key("step:5"),
            group_key("article:5"),
            group_key("article:getting-started/configuration"),
            group_key("question:05"),
            group_key("question:x"),
            group_key("tree:5"),
        ];
        let distinct: std::collections::HashSet<u64> = keys.into_iter().collect();
        assert_eq!(distinct.len(), keys.len(), "{keys:?}");
        assert!(group_key("question:250000") < 1 << 21);
        assert!(group_key("step:5") < 1 << 6, "steps are numbered too");
        assert!(group_key("tree:5") >= 1 << 63);
        assert!(group_key("article:getting-started/configuration") >= 1 << 63);
        assert!(group_key(&format!("question:{}", 1u64 << 41)) >= 1 << 63);
    }

    #[test]
    fn title_keys_and_boosts_fit_small_columns() {
        assert!(title_key("printer offline") <= u64::from(u32::MAX));
        assert_ne!(title_key("printer offline"), title_key("printer online"));
        assert_eq!(title_key("a b"), title_key("a b"));
        assert_eq!(boost_value(1.0), 1000);
        assert_eq!(boost_of(boost_value(1.2346)), 1.235);
        assert_eq!(boost_value(0.0), 1000);
        assert_eq!(boost_value(f64::NAN), 1000);
        assert_eq!(boost_value(-2.0), 1000);
        assert_eq!(boost_value(1e-9), 1, "a tiny boost stays above zero");
    }

    #[test]
    fn group_hashes_are_stable() {
        assert_eq!(group_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(group_hash("question:1"), group_hash("question:2"));
    }
}
