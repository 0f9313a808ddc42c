//! Readers for labelled corpora used only to train and evaluate classifiers (GermEval 2018,
//! GermEval 2021, BANKING77, SB10k, PotTS, Mozetič German tweets, MARC-de, our JSONL with
//! labels). Each yields [`model::Message`]s with gold labels in `Message.labels`.
//!
//! Label keys: `offense` (`OFFENSE`/`OTHER`), `offense_fine` (`ABUSE`/`INSULT`/`PROFANITY`/
//! `OTHER`), `toxicity` (`toxic`/`other`), `engaging` (`engaging`/`other`), `fact_claim`
//! (`fact`/`other`), `intent` (BANKING77 intent), `sentiment` (`negative`/`neutral`/
//! `positive`, PotTS also `mixed`), `stars` (MARC 1-5).

use std::path::{Path, PathBuf};

use model::{Direction, Labels, Message, Visibility};

/// A training-only corpus format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorpusFormat {
    Germeval2018,
    Germeval2021,
    Banking77,
    Sb10k,
    Potts,
    Mozetic,
    Marc,
    Jsonl,
}

impl CorpusFormat {
    pub const ALL: [CorpusFormat; 8] = [
        CorpusFormat::Germeval2018,
        CorpusFormat::Germeval2021,
        CorpusFormat::Banking77,
        CorpusFormat::Sb10k,
        CorpusFormat::Potts,
        CorpusFormat::Mozetic,
        CorpusFormat::Marc,
        CorpusFormat::Jsonl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CorpusFormat::Germeval2018 => "germeval2018",
            CorpusFormat::Germeval2021 => "germeval2021",
            CorpusFormat::Banking77 => "banking77",
            CorpusFormat::Sb10k => "sb10k",
            CorpusFormat::Potts => "potts",
            CorpusFormat::Mozetic => "mozetic",
            CorpusFormat::Marc => "marc",
            CorpusFormat::Jsonl => "jsonl",
        }
    }

    pub fn parse(s: &str) -> Option<CorpusFormat> {
        Self::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Why a corpus could not be read. Carries the place (file and line).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}:{line}: {what}")]
    Record {
        path: PathBuf,
        line: u64,
        what: String,
    },
}

/// Reads a whole corpus file (PotTS: a file or a folder of `*.tsv`, read in name order).
/// A malformed record fails the read with its line: these are curated training files.
pub fn read(format: CorpusFormat, path: &Path) -> Result<Vec<Message>, CorpusError> {
    if format == CorpusFormat::Potts && path.is_dir() {
        let mut files = Vec::new();
        collect_tsv(path, &mut files)?;
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.extend(read(format, &f)?);
        }
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Io {
        path: path.to_owned(),
        error: source,
    })?;
    let err = |line: u64, what: String| CorpusError::Record {
        path: path.to_owned(),
        line,
        what,
    };
    let channel = format.name();
    let mut out = Vec::new();
    match format {
        CorpusFormat::Germeval2018 => {
            for (n, line) in lines(&text) {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() != 3 {
                    return Err(err(n, format!("expected 3 tab fields, got {}", f.len())));
                }
                let mut labels = Labels::new();
                labels.insert("offense".into(), f[1].to_owned());
                labels.insert("offense_fine".into(), f[2].to_owned());
                out.push(message(channel, n, f[0].replace("|LBR|", "\n"), labels));
            }
        }
        CorpusFormat::Sb10k => {
            for (n, line) in lines(&text) {
                let f: Vec<&str> = line.splitn(3, '\t').collect();
                if f.len() != 3 {
                    return Err(err(n, "expected `id \\t label \\t text`".into()));
                }
                let mut labels = Labels::new();
                labels.insert("sentiment".into(), f[1].to_owned());
                out.push(message_id(channel, f[0], f[2].to_owned(), labels));
            }
        }
        CorpusFormat::Potts => {
            for (n, line) in lines(&text) {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() < 3 {
                    return Err(err(n, "expected `id \\t label \\t tokens …`".into()));
                }
                let mut labels = Labels::new();
                labels.insert("sentiment".into(), f[1].to_owned());
                out.push(message_id(channel, f[0], f[2].to_owned(), labels));
            }
        }
        CorpusFormat::Mozetic => {
            // A record starts only at `^\d{15,20}\t(Positive|Negative)\t`; other lines continue
            // the text (raw newlines inside tweets).
            let mut current: Option<(String, String, String)> = None;
            for (n, line) in lines(&text) {
                if let Some((id, label, body)) = mozetic_start(line) {
                    if let Some((id, label, t)) = current.take() {
                        out.push(mozetic_message(channel, &id, &label, t));
                    }
                    current = Some((id.to_owned(), label.to_owned(), body.to_owned()));
                } else if let Some((_, _, t)) = current.as_mut() {
                    t.push('\n');
                    t.push_str(line);
                } else {
                    return Err(err(n, "text before the first record".into()));
                }
            }
            if let Some((id, label, t)) = current.take() {
                out.push(mozetic_message(channel, &id, &label, t));
            }
        }
        CorpusFormat::Germeval2021 | CorpusFormat::Banking77 | CorpusFormat::Marc => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(format != CorpusFormat::Marc)
                .from_reader(text.as_bytes());
            for rec in rdr.records() {
                let rec =
                    rec.map_err(|e| err(e.position().map_or(0, |p| p.line()), e.to_string()))?;
                let n = rec.position().map_or(0, |p| p.line());
                let field = |i: usize| {
                    rec.get(i)
                        .ok_or_else(|| err(n, format!("missing column {}", i + 1)))
                };
                let mut labels = Labels::new();
                let m = match format {
                    CorpusFormat::Germeval2021 => {
                        let flag = |i: usize, yes: &str| -> Result<String, CorpusError> {
                            match field(i)?.trim() {
                                "1" => Ok(yes.to_owned()),
                                "0" => Ok("other".to_owned()),
                                v => Err(err(
                                    n,
                                    format!("column {}: expected 0/1, got {v:?}", i + 1),
                                )),
                            }
                        };
                        labels.insert("toxicity".into(), flag(2, "toxic")?);
                        labels.insert("engaging".into(), flag(3, "engaging")?);
                        labels.insert("fact_claim".into(), flag(4, "fact")?);
                        message_id(channel, field(0)?, field(1)?.to_owned(), labels)
                    }
                    CorpusFormat::Banking77 => {
                        labels.insert("intent".into(), field(1)?.trim().to_owned());
                        message(channel, n, field(0)?.to_owned(), labels)
                    }
                    _ => {
                        let stars: u8 = field(2)?
                            .trim()
                            .parse()
                            .map_err(|_| err(n, "column 3: stars 1-5 expected".into()))?;
                        let sentiment = match stars {
                            1 | 2 => "negative",
                            3 => "neutral",
                            _ => "positive",
                        };
                        labels.insert("stars".into(), stars.to_string());
                        labels.insert("sentiment".into(), sentiment.into());
                        message_id(channel, field(0)?, field(1)?.to_owned(), labels)
                    }
                };
                out.push(m);
            }
        }
        CorpusFormat::Jsonl => {
            // Our full JSONL messages, or minimal `{"text", "labels", "language"?, "id"?}`
            // objects (agents' corrections).
            for (n, line) in lines(&text) {
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| err(n, format!("invalid JSON: {e}")))?;
                if let Ok(m) = serde_json::from_value::<Message>(v.clone()) {
                    out.push(m);
                    continue;
                }
                let text = v
                    .get("text")
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| err(n, "field `text`: missing or not a string".into()))?;
                let labels: Labels = match v.get("labels") {
                    Some(l) => serde_json::from_value(l.clone())
                        .map_err(|e| err(n, format!("field `labels`: {e}")))?,
                    None => return Err(err(n, "field `labels`: missing".into())),
                };
                let id = v.get("id").or_else(|| v.get("external_id")).map_or_else(
                    || n.to_string(),
                    |i| i.as_str().map_or_else(|| i.to_string(), str::to_owned),
                );
                let mut m = message_id(channel, &id, text.to_owned(), labels);
                m.language = v
                    .get("language")
                    .and_then(|l| l.as_str())
                    .map(str::to_owned);
                out.push(m);
            }
        }
    }
    Ok(out)
}

fn collect_tsv(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), CorpusError> {
    let io = |error| CorpusError::Io {
        path: dir.to_owned(),
        error,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if p.is_dir() {
            collect_tsv(&p, files)?;
        } else if p.extension().is_some_and(|e| e == "tsv") {
            files.push(p);
        }
    }
    Ok(())
}

/// Non-empty lines with 1-based numbers; a trailing `\r` is dropped.
fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.is_empty())
}

fn mozetic_start(line: &str) -> Option<(&str, &str, &str)> {
    let mut it = line.splitn(3, '\t');
    let id = it.next()?;
    let label = it.next()?;
    let body = it.next()?;
    let id_ok = (15..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    (id_ok && (label == "Positive" || label == "Negative")).then_some((id, label, body))
}

fn mozetic_message(channel: &str, id: &str, label: &str, text: String) -> Message {
    // Every text starts with a literal backslash (a retriever artefact).
    let text = text.strip_prefix('\\').map(str::to_owned).unwrap_or(text);
    let text = text.replace('\r', " ");
    let mut labels = Labels::new();
    labels.insert("sentiment".into(), label.to_ascii_lowercase());
    message_id(channel, id, text, labels)
}

fn message(channel: &str, line: u64, text: String, labels: Labels) -> Message {
    message_id(channel, &line.to_string(), text, labels)
}

fn message_id(channel: &str, id: &str, text: String, labels: Labels) -> Message {
    Message {
        channel: channel.to_owned(),
        external_id: id.to_owned(),
        author: String::new(),
        author_name: None,
        text,
        created_at: model::Timestamp::default(),
        in_reply_to: None,
        direction: Direction::Inbound,
        visibility: Visibility::Public,
        language: Some(if channel == "banking77" { "en" } else { "de" }.to_owned()),
        brand: None,
        labels,
        raw: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> PathBuf {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
    }

    fn count(format: CorpusFormat, rel: &str, key: &str, value: &str) -> (usize, usize) {
        let msgs = read(format, &data(rel)).unwrap();
        let n = msgs
            .iter()
            .filter(|m| m.labels.get(key).map(String::as_str) == Some(value))
            .count();
        (msgs.len(), n)
    }

    #[test]
    fn counts_match_the_data_readme() {
        use CorpusFormat::*;
        assert_eq!(
            count(
                Germeval2018,
                "germeval2018/germeval2018.training.txt",
                "offense",
                "OFFENSE"
            ),
            (5009, 1688)
        );
        assert_eq!(
            count(
                Germeval2021,
                "germeval2021/GermEval21_TrainData.csv",
                "toxicity",
                "toxic"
            ),
            (3244, 1122)
        );
        assert_eq!(
            count(
                Germeval2021,
                "germeval2021/GermEval21_TrainData.csv",
                "fact_claim",
                "fact"
            ),
            (3244, 1103)
        );
        assert_eq!(
            count(Banking77, "banking77/train.csv", "intent", "card_arrival").0,
            10003
        );
        assert_eq!(
            count(Sb10k, "sb10k/corpus_v1.0.cgsa.tsv", "sentiment", "negative"),
            (7476, 1130)
        );
        assert_eq!(count(Potts, "potts", "sentiment", "mixed"), (7992, 488));
        assert_eq!(
            count(
                Mozetic,
                "twitter_sentiment_de_mozetic/deu.txt",
                "sentiment",
                "negative"
            ),
            (10935, 4262)
        );
        assert_eq!(count(Marc, "marc_de/test.csv", "stars", "5"), (5000, 1000));
    }

    #[test]
    fn mozetic_drops_backslash_and_keeps_newlines() {
        let msgs = read(
            CorpusFormat::Mozetic,
            &data("twitter_sentiment_de_mozetic/deu.txt"),
        )
        .unwrap();
        assert_eq!(
            msgs[0].text,
            "Ich komm mit dem nicht mehr klar. W-wie konnte ich nur?"
        );
        assert!(msgs.iter().any(|m| m.text.contains('\n')));
    }

    #[test]
    fn bad_record_names_the_line() {
        let dir = tempfile_dir();
        let p = dir.join("bad.txt");
        std::fs::write(&p, "gut\tOTHER\tOTHER\nkaputt\n").unwrap();
        let e = read(CorpusFormat::Germeval2018, &p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.txt:2"), "{e}");
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("kv-corpus-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

/// Reads labelled messages from `path` in the format named `format`: a corpus format above,
/// or an `import` format ([`crate::Format`]: germeval2017, airline, jsonl, ...). Records an
/// `import` reader rejects are returned beside the messages, for the caller to report.
pub fn read_named(
    format: &str,
    path: &Path,
) -> Result<(Vec<Message>, Vec<crate::Rejected>), NamedError> {
    if let Some(cf) = CorpusFormat::parse(format) {
        return Ok((read(cf, path)?, Vec::new()));
    }
    let f: crate::Format = format.parse()?;
    let source = crate::Source::open(path).map_err(|source| CorpusError::Io {
        path: path.to_owned(),
        error: source,
    })?;
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for item in crate::read(f, source) {
        match item {
            Ok(r) => ok.push(r.message),
            Err(e) => bad.push(e),
        }
    }
    Ok((ok, bad))
}

/// A format name that is neither a corpus nor an import format, or a read error.
#[derive(Debug, thiserror::Error)]
pub enum NamedError {
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(
        "{0} (training formats also: germeval2018, germeval2021, banking77, sb10k, potts, mozetic, marc)"
    )]
    Format(#[from] crate::UnknownFormat),
}
