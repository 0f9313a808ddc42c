//! Documented phrase lexicons for the analyses without training data: churn intent, urgency,
//! questions, English insults, and the stopwords of the fast language check. Each phrase has a
//! weight in 0..=1; a message's score is the noisy-or `1 - Π(1 - w)` of the phrases it contains.
//! Phrases are matched on the lowercased token texts joined by single spaces, at token
//! boundaries, so "kündige" does not match inside "angekündigt".

/// Says the customer will leave or has left. German and English.
pub const CHURN: &[(&str, f32)] = &[
    // German
    ("nie wieder", 0.85),
    ("nie mehr", 0.6),
    ("ich kündige", 0.95),
    ("kündige ich", 0.9),
    ("habe gekündigt", 0.95),
    ("hab gekündigt", 0.95),
    ("gekündigt", 0.7),
    ("kündigung", 0.75),
    ("kündigen", 0.7),
    ("vertrag kündigen", 0.9),
    ("wechsle zu", 0.9),
    ("wechsel zu", 0.85),
    ("wechsle den anbieter", 0.9),
    ("anbieter wechseln", 0.85),
    ("zur konkurrenz", 0.85),
    ("bin weg", 0.6),
    ("letztes mal", 0.55),
    ("das war's", 0.5),
    ("ab jetzt nur noch", 0.6),
    ("fahre ab jetzt auto", 0.8),
    ("nur noch auto", 0.7),
    ("fernbus", 0.35),
    // English
    ("never again", 0.85),
    ("switching to", 0.9),
    ("switched to", 0.85),
    ("cancel my account", 0.95),
    ("cancel my subscription", 0.95),
    ("cancel my membership", 0.95),
    ("close my account", 0.9),
    ("cancelling my", 0.9),
    ("canceling my", 0.9),
    ("i'm done with", 0.8),
    ("im done with", 0.8),
    ("taking my business elsewhere", 0.95),
    ("last time i fly", 0.9),
    ("never fly", 0.85),
    ("will never use", 0.85),
    ("won't be using", 0.8),
    ("lost a customer", 0.9),
    ("lost a loyal customer", 0.95),
    ("going with another", 0.8),
    ("find another bank", 0.85),
];

/// Needs an answer soon: time pressure, stranded, emergencies.
pub const URGENCY: &[(&str, f32)] = &[
    ("dringend", 0.8),
    ("sofort", 0.6),
    ("asap", 0.8),
    ("urgent", 0.8),
    ("urgently", 0.8),
    ("emergency", 0.85),
    ("notfall", 0.85),
    ("hilfe", 0.5),
    ("help", 0.45),
    ("immediately", 0.6),
    ("right now", 0.5),
    ("heute noch", 0.5),
    ("so schnell wie möglich", 0.7),
    ("schnellstmöglich", 0.7),
    ("gestrandet", 0.8),
    ("stranded", 0.8),
    ("stuck", 0.55),
    ("festgesessen", 0.6),
    ("sitze fest", 0.7),
    ("verpasse", 0.45),
    ("missed my connection", 0.7),
    ("anschluss verpasst", 0.6),
    ("can't access", 0.6),
    ("cannot access", 0.6),
    ("locked out", 0.7),
    ("gesperrt", 0.5),
    ("blocked", 0.5),
    ("stolen", 0.7),
    ("gestohlen", 0.7),
    ("lost my card", 0.7),
    ("fraud", 0.75),
    ("betrug", 0.7),
    ("still waiting", 0.45),
    ("warte immer noch", 0.45),
    ("seit stunden", 0.5),
    ("for hours", 0.45),
];

/// Question openers (first token). A `?` is the strongest signal and handled separately.
pub const QUESTION_OPENERS: &[&str] = &[
    "wer", "wie", "was", "wann", "wo", "wohin", "woher", "warum", "wieso", "weshalb", "welche",
    "welcher", "welches", "kann", "können", "könnt", "könnten", "gibt", "ist", "sind", "hat",
    "habt", "haben", "wird", "werden", "darf", "muss", "soll", "who", "how", "what", "when",
    "where", "why", "which", "can", "could", "would", "is", "are", "do", "does", "did", "will",
    "should", "may", "have", "has", "any",
];

/// English insults and profanity (no English toxicity training data is available here).
pub const INSULTS_EN: &[(&str, f32)] = &[
    ("idiot", 0.8),
    ("idiots", 0.8),
    ("stupid", 0.6),
    ("moron", 0.85),
    ("morons", 0.85),
    ("dumb", 0.55),
    ("incompetent", 0.5),
    ("pathetic", 0.5),
    ("useless", 0.4),
    ("shit", 0.6),
    ("shitty", 0.6),
    ("bullshit", 0.6),
    ("fuck", 0.8),
    ("fucking", 0.75),
    ("fucked", 0.75),
    ("wtf", 0.45),
    ("asshole", 0.9),
    ("assholes", 0.9),
    ("bastard", 0.85),
    ("bitch", 0.9),
    ("crap", 0.45),
    ("suck", 0.45),
    ("sucks", 0.45),
    ("screw you", 0.8),
    ("go to hell", 0.85),
    ("damn", 0.3),
];

/// Frequent function words for the fast language check (before lingua is asked).
pub const STOP_DE: &[&str] = &[
    "der", "die", "das", "und", "ist", "nicht", "ich", "ein", "eine", "zu", "mit", "auf", "für",
    "von", "den", "dem", "im", "sich", "auch", "es", "wir", "sie", "mir", "mich", "noch", "schon",
    "aber", "wie", "was", "bei", "nach", "wieder", "heute", "kein", "keine", "mal", "nur", "jetzt",
    "oder", "wenn", "dass", "hat", "habe", "sind", "wird", "bin", "des", "um", "uns", "euch",
    "ihr", "einen", "zum", "zur", "vom", "doch", "immer", "seit",
];
pub const STOP_EN: &[&str] = &[
    "the", "and", "is", "are", "to", "of", "in", "for", "on", "my", "you", "it", "this", "that",
    "with", "not", "was", "have", "be", "at", "your", "me", "i", "we", "they", "what", "just",
    "from", "can", "get", "got", "our", "an", "been", "has", "will", "would", "why", "how", "when",
    "no", "thanks", "thank", "please", "still", "again", "but", "or", "if", "about", "there",
    "their", "i'm", "don't", "it's", "can't",
];

/// Function words of other frequent European languages (French, Spanish, Italian, Dutch,
/// Portuguese), so their texts become `other` instead of a wrong `de`/`en`.
pub const STOP_OTHER: &[&str] = &[
    "le", "la", "les", "je", "et", "est", "une", "des", "du", "pas", "pour", "avec", "vous",
    "nous", "que", "qui", "el", "los", "las", "y", "es", "por", "para", "con", "una", "pero",
    "muy", "il", "di", "che", "non", "per", "sono", "della", "het", "een", "niet", "ik", "wij",
    "zijn", "voor", "não", "com", "uma", "você", "obrigado", "merci", "gracias", "bonjour", "hola",
    "grazie", "ciao",
];

/// Noisy-or score of the phrases of `lexicon` found in `joined` (tokens joined by spaces,
/// with a leading and trailing space so matches sit on token boundaries).
pub fn score(lexicon: &'static [(&'static str, f32)], joined: &str) -> (f32, Vec<&'static str>) {
    let mut keep = 1.0f32;
    let mut hits = Vec::new();
    for &(phrase, w) in lexicon {
        if contains_phrase(joined, phrase) {
            keep *= 1.0 - w;
            hits.push(phrase);
        }
    }
    (1.0 - keep, hits)
}

/// Whether `phrase` occurs in `joined` at token boundaries (`joined` has spaces at both ends).
pub fn contains_phrase(joined: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(p) = joined[from..].find(phrase) {
        let start = from + p;
        let end = start + phrase.len();
        let before = joined[..start].ends_with(' ');
        let after = joined[end..].starts_with(' ');
        if before && after {
            return true;
        }
        from = start + 1;
        while !joined.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_on_token_boundaries() {
        assert!(contains_phrase(" ich kündige jetzt ", "ich kündige"));
        assert!(!contains_phrase(" angekündigt ", "kündigen"));
        assert!(contains_phrase(" never again ", "never again"));
        let (s, hits) = score(CHURN, " ich kündige nie wieder ");
        assert!(s > 0.95);
        assert_eq!(hits, ["nie wieder", "ich kündige"]);
        assert_eq!(score(CHURN, " alles gut ").0, 0.0);
    }
}
