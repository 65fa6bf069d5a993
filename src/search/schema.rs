//! The index schema, built in one place, and the text analyzer.
//!
//! Text is split on non-alphanumerics, lowercased and folded to ASCII; no
//! stemming, so the term dictionary holds real words that typo correction can
//! suggest back to the customer.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::Index;

/// Bump when the schema or analyzer changes: old indexes are then rebuilt.
pub const VERSION: u32 = 2;

/// Name of the analyzer used by every text field.
pub const ANALYZER: &str = "signpost";

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
    /// Breadcrumb, stored only.
    pub breadcrumb: Field,
    /// Ranking multiplier, fast.
    pub boost: Field,
    /// 1 for solved questions, fast.
    pub solved: Field,
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
            breadcrumb: schema.get_field("breadcrumb")?,
            boost: schema.get_field("boost")?,
            solved: schema.get_field("solved")?,
        })
    }

    /// The fields a query word is looked up in, with their weights.
    pub fn text_fields(&self) -> [(Field, f32); 3] {
        [(self.title, 3.0), (self.tags, 2.0), (self.body, 1.0)]
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
    let mut builder = Schema::builder();
    builder.add_text_field("group", STRING);
    builder.add_text_field("kind", STRING | STORED);
    builder.add_text_field("url", STORED);
    builder.add_text_field("title", text.clone());
    builder.add_text_field("body", text.clone());
    builder.add_text_field("tags", text);
    builder.add_text_field("breadcrumb", STORED);
    builder.add_f64_field("boost", FAST | STORED);
    builder.add_u64_field("solved", FAST | STORED);
    builder.build()
}

/// The analyzer: simple tokenizer, long tokens dropped, lowercase, ASCII folding.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers the analyzer on an index (needed after every open).
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}
