//! A token filter that folds British spellings into American ones, so a
//! customer's "analyser" meets a post's "analyzer" and "colour" meets
//! "color". It runs in the stemming analyzer only, before the stemmer: the
//! plain fields keep the spelling as written (the typed form still scores
//! higher there, and "did you mean" offers real words), while the stemmed
//! fields, which already join word forms, join the two spellings too.
//!
//! The fold is a list, not a rule: "-ise" to "-ize" or "-our" to "-or" as
//! rules would also turn "four" into "for" and part "revise" from
//! "revision". Each entry is a British stem with the endings it takes:
//! `-ise` verbs (`organis` + `e`, `ed`, `es`, `er`, `ers`, `ing`, `ation`,
//! `ations`, also after a prefix: "unauthorised"), `-yse` verbs, `-our`
//! words (anywhere in the word: "colourful", "unfavourable") and whole
//! words ("licence", "centre", "catalogue", "grey").

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Endings of an `-ise`/`-yse` verb after its `is`/`ys`.
const VERB_ENDINGS: &[&str] = &[
    "e", "ed", "es", "er", "ers", "ing", "ation", "ations", "able",
];

/// British `-ise` verb stems (without the `is`); "organ" stands for
/// "organise", which folds to "organize".
const ISE_VERBS: &[&str] = &[
    "apolog",
    "author",
    "capital",
    "categor",
    "central",
    "character",
    "container",
    "critic",
    "custom",
    "digit",
    "emphas",
    "final",
    "formal",
    "general",
    "initial",
    "item",
    "legal",
    "local",
    "maxim",
    "memor",
    "minim",
    "modern",
    "neutral",
    "normal",
    "optim",
    "organ",
    "parameter",
    "personal",
    "priorit",
    "random",
    "real",
    "recogn",
    "serial",
    "special",
    "stabil",
    "standard",
    "summar",
    "symbol",
    "synchron",
    "token",
    "util",
    "virtual",
    "visual",
];

/// British `-yse` verb stems (without the `ys`).
const YSE_VERBS: &[&str] = &["anal", "catal", "paral"];

/// `-our` words, also inside a longer word: the first of them found (in
/// this order), at its leftmost place, is folded.
const OUR_WORDS: &[(&str, &str)] = &[
    ("armour", "armor"),
    ("behaviour", "behavior"),
    ("colour", "color"),
    ("endeavour", "endeavor"),
    ("favour", "favor"),
    ("flavour", "flavor"),
    ("harbour", "harbor"),
    ("honour", "honor"),
    ("humour", "humor"),
    ("labour", "labor"),
    ("neighbour", "neighbor"),
    ("odour", "odor"),
    ("rumour", "rumor"),
    ("savour", "savor"),
    ("vapour", "vapor"),
];

/// Whole words, sorted by the British form (for binary search).
const WORDS: &[(&str, &str)] = &[
    ("aluminium", "aluminum"),
    ("catalogue", "catalog"),
    ("catalogued", "cataloged"),
    ("catalogues", "catalogs"),
    ("centre", "center"),
    ("centred", "centered"),
    ("centres", "centers"),
    ("cosy", "cozy"),
    ("defence", "defense"),
    ("dialogue", "dialog"),
    ("dialogues", "dialogs"),
    ("grey", "gray"),
    ("greyed", "grayed"),
    ("licence", "license"),
    ("licences", "licenses"),
    ("litre", "liter"),
    ("litres", "liters"),
    ("metre", "meter"),
    ("metres", "meters"),
    ("mould", "mold"),
    ("offence", "offense"),
    ("programme", "program"),
    ("programmes", "programs"),
    ("sceptical", "skeptical"),
    ("tyre", "tire"),
    ("tyres", "tires"),
];

/// The American spelling of a lowercase `word` when the list knows its
/// British one.
///
/// Every token of every snippet's text passes through here, so most words
/// are turned away by byte comparisons alone: no substring search, and no
/// allocation unless the word changes.
pub fn american(word: &str) -> Option<String> {
    if let Ok(at) = WORDS.binary_search_by(|(uk, _)| uk.cmp(&word)) {
        return Some(WORDS[at].1.to_string());
    }
    our_word(word)
        .or_else(|| verb(word, "is", "iz", ISE_VERBS))
        .or_else(|| verb(word, "ys", "yz", YSE_VERBS))
}

/// `word` with the first `-our` word of the list that it holds (its
/// leftmost occurrence) written the American way. Every listed word ends
/// in "our", so only the places where "our" ends are compared.
fn our_word(word: &str) -> Option<String> {
    let bytes = word.as_bytes();
    let ends = || (3..=bytes.len()).filter(|&end| &bytes[end - 3..end] == b"our");
    ends().next()?;
    OUR_WORDS.iter().find_map(|(uk, us)| {
        let end = ends().find(|&end| bytes[..end].ends_with(uk.as_bytes()))?;
        let mut out = word.to_string();
        out.replace_range(end - uk.len()..end, us);
        Some(out)
    })
}

/// `word` with the `from` of one of the `stems` (`stem` + `from` + an
/// ending, after any prefix) written `to`.
fn verb(word: &str, from: &str, to: &str, stems: &[&str]) -> Option<String> {
    VERB_ENDINGS.iter().find_map(|ending| {
        let head = word.strip_suffix(ending)?.strip_suffix(from)?;
        stems
            .iter()
            .any(|stem| head.ends_with(stem))
            .then(|| format!("{head}{to}{ending}"))
    })
}

/// The filter; place it after lowercasing and before stemming.
#[derive(Clone, Copy, Debug, Default)]
pub struct AmericanSpelling;

impl TokenFilter for AmericanSpelling {
    type Tokenizer<T: Tokenizer> = AmericanSpellingTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> AmericanSpellingTokenizer<T> {
        AmericanSpellingTokenizer(tokenizer)
    }
}

/// A tokenizer followed by [`AmericanSpelling`].
#[derive(Clone, Debug)]
pub struct AmericanSpellingTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for AmericanSpellingTokenizer<T> {
    type TokenStream<'a> = AmericanSpellingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        AmericanSpellingStream(self.0.token_stream(text))
    }
}

/// The token stream of [`AmericanSpellingTokenizer`].
pub struct AmericanSpellingStream<T>(T);

impl<T: TokenStream> TokenStream for AmericanSpellingStream<T> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let token = self.0.token_mut();
        if let Some(us) = american(&token.text) {
            token.text = us;
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn british_spellings_fold_to_american_ones() {
        for (uk, us) in [
            ("analyser", "analyzer"),
            ("analyse", "analyze"),
            ("analysing", "analyzing"),
            ("organised", "organized"),
            ("unauthorised", "unauthorized"),
            ("customisation", "customization"),
            ("synchronising", "synchronizing"),
            ("colour", "color"),
            ("colourful", "colorful"),
            ("behavioural", "behavioral"),
            ("favourites", "favorites"),
            ("licence", "license"),
            ("centres", "centers"),
            ("grey", "gray"),
        ] {
            assert_eq!(american(uk).as_deref(), Some(us), "{uk}");
        }
    }

    #[test]
    fn other_words_are_left_alone() {
        for word in [
            "analyzer",
            "analysis",
            "four",
            "hour",
            "your",
            "our",
            "promise",
            "revise",
            "revision",
            "emphasis",
            "organism",
            "realistic",
            "license",
            "color",
            "wise",
        ] {
            assert_eq!(american(word), None, "{word}");
        }
    }

    #[test]
    fn the_first_listed_our_word_is_folded_at_its_leftmost_place() {
        // "our" before the listed word, the word twice, two listed words.
        assert_eq!(american("ourcolour").as_deref(), Some("ourcolor"));
        assert_eq!(american("colourcolour").as_deref(), Some("colorcolour"));
        // "colour" comes before "flavour" in the list.
        assert_eq!(american("flavourcolour").as_deref(), Some("flavourcolor"));
        assert_eq!(american("sourcecolour").as_deref(), Some("sourcecolor"));
        assert_eq!(american("sourcehour"), None);
    }

    #[test]
    fn every_our_word_ends_in_our() {
        assert!(OUR_WORDS.iter().all(|(uk, _)| uk.ends_with("our")));
    }

    #[test]
    fn the_word_list_is_sorted() {
        assert!(WORDS.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
}
