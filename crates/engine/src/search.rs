//! Full-text search over every message (tantivy): German texts go through a German Snowball
//! stemmer, all others through the English one; a query runs against both fields so
//! "Lieferung" finds "Lieferungen" and "delivery" finds "delivered". Facets that do not
//! change after analysis (channel, language, sentiment, topics, direction, date) are indexed
//! for filtering; the rest is filtered by the store. One writer (behind a mutex), many
//! concurrent readers; erasing a message deletes its document and commits at once.

use std::path::Path;
use std::sync::Mutex;

use model::{Analysis, Message};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{
    DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc,
};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index folder {0}: {1}")]
    Io(String, std::io::Error),
    #[error("search index: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    conversation: Field,
    channel: Field,
    language: Field,
    sentiment: Field,
    topic: Field,
    direction: Field,
    created: Field,
    text_de: Field,
    text_en: Field,
}

/// Filters a search can take. `None` means any.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub channel: Option<String>,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub topic: Option<String>,
    pub direction: Option<String>,
    pub conversation: Option<i64>,
    pub from: Option<model::Timestamp>,
    pub to: Option<model::Timestamp>,
}

/// One hit: the message id, its conversation, score and a highlighted snippet.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub message_id: i64,
    pub conversation_id: i64,
    pub score: f32,
    /// HTML with the matches in `<b>`; the text itself is HTML-escaped by tantivy.
    pub snippet_html: String,
    /// The fragment as plain text and the byte ranges of the matches in it.
    pub fragment: String,
    pub highlights: Vec<(usize, usize)>,
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Writer>,
    fields: Fields,
}

/// The index writer and the highest message id it has been given.
struct Writer {
    inner: IndexWriter,
    /// Ids above it cannot be in the index: adding one needs no delete of an older copy.
    /// Messages arrive in id order, so a delete per added document (which tantivy applies
    /// to every segment at each commit) is needed only when one is indexed again.
    highest: Option<u64>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

const DE: &str = "kv_de";
const EN: &str = "kv_en";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        conversation: b.add_u64_field("conversation", INDEXED | STORED | FAST),
        channel: b.add_text_field("channel", STRING),
        language: b.add_text_field("language", STRING),
        sentiment: b.add_text_field("sentiment", STRING),
        topic: b.add_text_field("topic", STRING),
        direction: b.add_text_field("direction", STRING),
        created: b.add_date_field("created", INDEXED | FAST),
        text_de: b.add_text_field("text_de", text(DE)),
        text_en: b.add_text_field("text_en", text(EN)),
    };
    (b.build(), fields)
}

fn register(index: &Index) {
    let stemmed = |lang| {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(60))
            .filter(LowerCaser)
            .filter(Stemmer::new(lang))
            .build()
    };
    index.tokenizers().register(DE, stemmed(Language::German));
    index.tokenizers().register(EN, stemmed(Language::English));
}

impl SearchIndex {
    /// Opens or creates the index in `dir`.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Io(dir.display().to_string(), e))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema)?;
        Self::with_index(index, fields)
    }

    /// An index in RAM (tests).
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        register(&index);
        // One indexing thread: documents come from one pipeline thread in batches, and each
        // extra thread wrote its own segment per commit for the merges to join again (four
        // interleaved pairs of `xtask bench-server`: 0.4-0.7 CPU-s less per 100,000 messages,
        // a faster ingest beside it).
        let writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // (Deleted documents count too: their ids may come back.)
        let mut highest = None;
        for segment in reader.searcher().segment_readers() {
            if segment.max_doc() > 0 {
                let ids = segment.fast_fields().u64("id")?;
                highest = highest.max(Some(ids.max_value()));
            }
        }
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(Writer {
                inner: writer,
                highest,
            }),
            fields,
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds (or replaces) the documents of analysed messages. Not visible until [`commit`].
    ///
    /// [`commit`]: SearchIndex::commit
    pub fn add(
        &self,
        items: &[(i64, i64, &Message, Option<&Analysis>)],
    ) -> Result<(), SearchError> {
        let f = self.fields;
        let mut writer = self.writer();
        for (id, conversation, m, analysis) in items {
            let id = *id as u64;
            if writer.highest.is_some_and(|h| id <= h) {
                writer.inner.delete_term(Term::from_field_u64(f.id, id));
            }
            writer.highest = writer.highest.max(Some(id));
            let language = analysis
                .map(|a| a.language.clone())
                .or_else(|| m.language.clone())
                .unwrap_or_else(|| "other".into());
            let text_field = if language == "de" {
                f.text_de
            } else {
                f.text_en
            };
            let mut d = doc!(
                f.id => id,
                f.conversation => *conversation as u64,
                f.channel => m.channel.as_str(),
                f.language => language.as_str(),
                f.direction => match m.direction { model::Direction::Inbound => "inbound", model::Direction::Outbound => "outbound" },
                f.created => DateTime::from_timestamp_micros(m.created_at.timestamp_micros()),
                text_field => m.text.as_str(),
            );
            if let Some(a) = analysis {
                d.add_text(f.sentiment, a.sentiment.label.as_str());
                for t in &a.topics {
                    d.add_text(f.topic, &t.label);
                }
            }
            writer.inner.add_document(d)?;
        }
        Ok(())
    }

    /// Removes messages from the index (not visible until [`SearchIndex::commit`]).
    pub fn delete(&self, ids: &[i64]) {
        let writer = self.writer();
        for id in ids {
            writer
                .inner
                .delete_term(Term::from_field_u64(self.fields.id, *id as u64));
        }
    }

    /// Makes added and deleted documents visible to searches; `payload` is kept with the
    /// commit (the engine stores the highest indexed message id there).
    pub fn commit(&self, payload: Option<String>) -> Result<(), SearchError> {
        {
            let mut writer = self.writer();
            let mut prepared = writer.inner.prepare_commit()?;
            if let Some(p) = payload {
                prepared.set_payload(&p);
            }
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// The payload of the last commit.
    pub fn committed_payload(&self) -> Option<String> {
        self.index.load_metas().ok().and_then(|m| m.payload)
    }

    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Searches `query` (tantivy query syntax, parsed leniently) with `filter`; best first.
    pub fn search(
        &self,
        query: &str,
        filter: &SearchFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<Hit>), SearchError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut parser = QueryParser::for_index(&self.index, vec![f.text_de, f.text_en]);
        parser.set_conjunction_by_default();
        let text_query: Box<dyn Query> = if query.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            parser.parse_query_lenient(query).0
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        let term = |field: Field, value: &str| -> (Occur, Box<dyn Query>) {
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                )),
            )
        };
        if let Some(v) = &filter.channel {
            clauses.push(term(f.channel, v));
        }
        if let Some(v) = &filter.language {
            clauses.push(term(f.language, v));
        }
        if let Some(v) = &filter.sentiment {
            clauses.push(term(f.sentiment, v));
        }
        if let Some(v) = &filter.topic {
            clauses.push(term(f.topic, v));
        }
        if let Some(v) = &filter.direction {
            clauses.push(term(f.direction, v));
        }
        if let Some(c) = filter.conversation {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.conversation, c as u64),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if filter.from.is_some() || filter.to.is_some() {
            use std::ops::Bound;
            let bound = |t: Option<model::Timestamp>, incl: bool| match t {
                Some(t) => {
                    let term = Term::from_field_date(
                        f.created,
                        DateTime::from_timestamp_micros(t.timestamp_micros()),
                    );
                    if incl {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    }
                }
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(filter.from, true),
                    bound(filter.to, false),
                )),
            ));
        }
        let full = BooleanQuery::new(clauses);
        let (count, top) = searcher.search(
            &full,
            &(
                tantivy::collector::Count,
                TopDocs::with_limit(limit.max(1))
                    .and_offset(offset)
                    .order_by_score(),
            ),
        )?;
        let gen_de = SnippetGenerator::create(&searcher, &*text_query, f.text_de)?;
        let gen_en = SnippetGenerator::create(&searcher, &*text_query, f.text_en)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            let id = d.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0) as i64;
            let conversation = d
                .get_first(f.conversation)
                .and_then(|v| v.as_u64())
                .unwrap_or(0) as i64;
            let mut snippet = gen_de.snippet_from_doc(&d);
            if snippet.fragment().is_empty() {
                snippet = gen_en.snippet_from_doc(&d);
            }
            let highlights = snippet
                .highlighted()
                .iter()
                .map(|r| (r.start, r.end))
                .collect();
            hits.push(Hit {
                message_id: id,
                conversation_id: conversation,
                score,
                snippet_html: snippet.to_html(),
                fragment: snippet.fragment().to_owned(),
                highlights,
            });
        }
        Ok((count, hits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, text: &str, lang: &str) -> Message {
        Message {
            channel: "web".into(),
            external_id: id.into(),
            author: "a".into(),
            author_name: None,
            text: text.into(),
            created_at: chrono::Utc::now(),
            in_reply_to: None,
            direction: model::Direction::Inbound,
            visibility: model::Visibility::Public,
            language: Some(lang.into()),
            brand: None,
            labels: Default::default(),
            raw: None,
        }
    }

    #[test]
    fn stems_german_and_english_and_escapes_snippets() {
        let idx = SearchIndex::in_memory().unwrap();
        let a = msg(
            "1",
            "Die Lieferungen kommen immer zu spät <script>x</script>",
            "de",
        );
        let b = msg("2", "My parcel was delivered to the wrong address", "en");
        idx.add(&[(1, 10, &a, None), (2, 20, &b, None)]).unwrap();
        idx.commit(Some("2".into())).unwrap();
        let (n, hits) = idx
            .search("Lieferung", &SearchFilter::default(), 10, 0)
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(hits[0].message_id, 1);
        assert!(
            hits[0].snippet_html.contains("<b>"),
            "{}",
            hits[0].snippet_html
        );
        let (_, hits) = idx
            .search("script", &SearchFilter::default(), 10, 0)
            .unwrap();
        assert!(
            !hits[0].snippet_html.contains("<script>"),
            "{}",
            hits[0].snippet_html
        );
        let (n, _) = idx
            .search("deliver", &SearchFilter::default(), 10, 0)
            .unwrap();
        assert_eq!(n, 1);
        let only_en = SearchFilter {
            language: Some("en".into()),
            ..Default::default()
        };
        assert_eq!(idx.search("", &only_en, 10, 0).unwrap().0, 1);
        idx.delete(&[1]);
        idx.commit(None).unwrap();
        assert_eq!(
            idx.search("Lieferung", &SearchFilter::default(), 10, 0)
                .unwrap()
                .0,
            0
        );
        assert_eq!(idx.committed_payload(), None);
    }

    #[test]
    fn a_message_indexed_again_replaces_its_document_also_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let count =
            |idx: &SearchIndex, q: &str| idx.search(q, &SearchFilter::default(), 10, 0).unwrap().0;
        {
            let idx = SearchIndex::open(dir.path()).unwrap();
            let first = msg("1", "Der Zug hatte Verspätung", "de");
            let second = msg("2", "The train was late", "en");
            idx.add(&[(1, 10, &first, None), (2, 20, &second, None)])
                .unwrap();
            idx.commit(None).unwrap();
            // Indexed again in the same process (an analysis corrected, say).
            let first_again = msg("1", "Der Zug fiel aus", "de");
            idx.add(&[(1, 10, &first_again, None)]).unwrap();
            idx.commit(None).unwrap();
            assert_eq!(idx.doc_count(), 2);
            assert_eq!(count(&idx, "Verspätung"), 0);
            assert_eq!(count(&idx, "fiel"), 1);
        }
        // A new process knows the highest id from the index itself.
        let idx = SearchIndex::open(dir.path()).unwrap();
        let second_again = msg("2", "The flight was cancelled", "en");
        let third = msg("3", "Lost luggage", "en");
        idx.add(&[(2, 20, &second_again, None), (3, 30, &third, None)])
            .unwrap();
        idx.commit(None).unwrap();
        assert_eq!(idx.doc_count(), 3);
        assert_eq!(count(&idx, "train"), 0);
        assert_eq!(count(&idx, "cancelled"), 1);
        assert_eq!(count(&idx, "luggage"), 1);
    }
}
