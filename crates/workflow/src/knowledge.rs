//! Knowledge-base drafts: an article made from a solved conversation (the customer's question
//! as the title, our answer as the body). The article model is [`model::Article`].

use model::{Article, Timestamp};

/// The parts of a solved conversation an article is made from.
#[derive(Debug, Clone)]
pub struct SolvedConversation<'a> {
    pub conversation: &'a str,
    pub language: &'a str,
    /// The customer's question (first inbound message).
    pub question: &'a str,
    /// The reply that solved it.
    pub answer: &'a str,
    pub topics: &'a [String],
}

/// Longest title taken from the question, in chars.
const TITLE_CHARS: usize = 90;

/// Drafts an unpublished article: mentions (`@name`) and links are removed from the title,
/// the title is cut at a word boundary, the body is the answer without leading mentions.
/// An editor reviews it before `published` is set.
pub fn draft_article(
    solved: &SolvedConversation<'_>,
    categories: Vec<String>,
    now: Timestamp,
) -> Article {
    let title_words: Vec<&str> = solved
        .question
        .split_whitespace()
        .filter(|w| !w.starts_with('@') && !w.starts_with("http"))
        .collect();
    let mut title = String::new();
    for w in title_words {
        if title.chars().count() + w.chars().count() + 1 > TITLE_CHARS {
            title.push('…');
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(w);
    }
    let body = solved
        .answer
        .split_whitespace()
        .skip_while(|w| w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ");
    Article {
        id: format!("kb-{}", slug(solved.conversation)),
        language: solved.language.to_owned(),
        title,
        body,
        categories,
        topics: solved.topics.to_vec(),
        published: false,
        source_conversation: Some(solved.conversation.to_owned()),
        created_at: now,
        updated_at: now,
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_strips_mentions_and_keeps_source() {
        let topics = vec!["lieferung".to_owned()];
        let a = draft_article(
            &SolvedConversation {
                conversation: "tw/123",
                language: "de",
                question: "@ShopHilfe Meine Lieferung ist seit 2 Wochen nicht da https://t.co/x",
                answer: "@kunde42 Bitte schreib uns deine Bestellnummer per DM, wir prüfen das.",
                topics: &topics,
            },
            vec!["Lieferung".into()],
            Timestamp::default(),
        );
        assert_eq!(a.title, "Meine Lieferung ist seit 2 Wochen nicht da");
        assert_eq!(
            a.body,
            "Bitte schreib uns deine Bestellnummer per DM, wir prüfen das."
        );
        assert_eq!(a.id, "kb-tw-123");
        assert!(!a.published);
        assert_eq!(a.source_conversation.as_deref(), Some("tw/123"));
    }
}
