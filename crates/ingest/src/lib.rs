//! Where messages come from: file formats (twcs, germeval2017, airline, jsonl, mbox) and,
//! later, live connectors. Readers stream records and report every rejected one with its place.
