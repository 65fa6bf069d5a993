//! A token filter for English negative contractions. The simple tokenizer
//! cuts "won't" into `won` and `t`, so a customer's "will not start" never
//! met "The server won't start". This filter turns the `t` that follows an
//! apostrophe after a word ending in `n` ("don't", "can't", "isn’t") into
//! `not`, and splits `cannot` into `can` and `not`, so every way of saying
//! it meets the others (and a phrase such as "not start" matches).

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// The filter; place it after lowercasing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Negations;

impl TokenFilter for Negations {
    type Tokenizer<T: Tokenizer> = NegationsTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> NegationsTokenizer<T> {
        NegationsTokenizer(tokenizer)
    }
}

/// A tokenizer followed by [`Negations`].
#[derive(Clone, Debug)]
pub struct NegationsTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for NegationsTokenizer<T> {
    type TokenStream<'a> = NegationsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        NegationsStream {
            tail: self.0.token_stream(text),
            text,
            can: None,
            after_n: None,
        }
    }
}

/// The token stream of [`NegationsTokenizer`].
pub struct NegationsStream<'a, T> {
    tail: T,
    text: &'a str,
    /// The `can` split off `cannot`, shown before the tail's token, which
    /// then reads `not`.
    can: Option<Token>,
    /// Start and end offsets of the previous token when it ends in `n`.
    after_n: Option<(usize, usize)>,
}

impl<T: TokenStream> TokenStream for NegationsStream<'_, T> {
    fn advance(&mut self) -> bool {
        if self.can.take().is_some() {
            // Now the tail's token, which reads `not`.
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        let after_n = self.after_n.take();
        let token = self.tail.token_mut();
        let contraction = after_n.filter(|&(_, end)| {
            matches!(
                self.text.get(end..token.offset_from),
                Some("'" | "\u{2019}")
            )
        });
        if let (Some((start, _)), "t") = (contraction, token.text.as_str()) {
            token.text.replace_range(.., "not");
            // Highlighted, it marks the whole "won't".
            token.offset_from = start;
        } else if token.text == "cannot" {
            let mut can = token.clone();
            can.text.replace_range(.., "can");
            token.text.replace_range(.., "not");
            // The tokenizer counts on from here: later words move up one.
            token.position += 1;
            self.can = Some(can);
        } else if token.text.ends_with('n') {
            self.after_n = Some((token.offset_from, token.offset_to));
        }
        true
    }

    fn token(&self) -> &Token {
        self.can.as_ref().unwrap_or_else(|| self.tail.token())
    }

    fn token_mut(&mut self) -> &mut Token {
        match &mut self.can {
            Some(can) => can,
            None => self.tail.token_mut(),
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

    use super::*;

    fn tokens(text: &str) -> Vec<(String, usize)> {
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Negations)
            .build();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.text.clone(), token.position));
        }
        out
    }

    fn words(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn contractions_say_not() {
        assert_eq!(
            words("The server won't start"),
            ["the", "server", "won", "not", "start"]
        );
        assert_eq!(words("It DOESN’T print"), ["it", "doesn", "not", "print"]);
        assert_eq!(words("I can't sign in"), ["i", "can", "not", "sign", "in"]);
    }

    #[test]
    fn cannot_is_split_and_later_positions_follow() {
        assert_eq!(
            tokens("I cannot log in"),
            [
                ("i".to_string(), 0),
                ("can".to_string(), 1),
                ("not".to_string(), 2),
                ("log".to_string(), 3),
                ("in".to_string(), 4),
            ]
        );
    }

    #[test]
    fn a_contraction_is_marked_whole() {
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Negations)
            .build();
        let text = "It won\u{2019}t start";
        let mut stream = analyzer.token_stream(text);
        let mut marked = Vec::new();
        while let Some(token) = stream.next() {
            if token.text == "not" {
                marked.push(&text[token.offset_from..token.offset_to]);
            }
        }
        assert_eq!(marked, ["won\u{2019}t"]);
    }

    #[test]
    fn other_ts_stay() {
        // A lone "t", or one after another letter or separator, is kept.
        assert_eq!(words("t shirt"), ["t", "shirt"]);
        assert_eq!(words("Brian's t-test"), ["brian", "s", "t", "test"]);
        assert_eq!(words("pin t"), ["pin", "t"]);
        assert_eq!(words("it's"), ["it", "s"]);
    }
}
