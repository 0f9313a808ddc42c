//! Conversations rebuilt from reply chains: every message belongs to the conversation of
//! the root of its reply chain. Messages may arrive in any order (a reply before its parent),
//! so the threader is a union-find over message keys.

use std::collections::HashMap;

/// Incremental union-find over external ids of one channel namespace. The representative of
/// a set is the root of the reply tree when it is known, otherwise the earliest-seen member.
#[derive(Debug, Default)]
pub struct Threader {
    index: HashMap<String, usize>,
    ids: Vec<String>,
    parent: Vec<usize>,
    /// Whether the node is known to have no parent inside the data (a true root).
    has_parent: Vec<bool>,
}

impl Threader {
    pub fn new() -> Self {
        Self::default()
    }

    fn node(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len();
        self.index.insert(id.to_owned(), i);
        self.ids.push(id.to_owned());
        self.parent.push(i);
        self.has_parent.push(false);
        i
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Records a message and, if it replies to another, the link.
    pub fn add(&mut self, id: &str, in_reply_to: Option<&str>) {
        let child = self.node(id);
        if let Some(parent_id) = in_reply_to {
            let parent = self.node(parent_id);
            self.has_parent[child] = true;
            let (rc, rp) = (self.find(child), self.find(parent));
            if rc != rp {
                // The parent's set represents the union: it is closer to the tree root.
                self.parent[rc] = rp;
            }
        }
    }

    /// The conversation id of a message: the external id of the root of its reply tree.
    /// Unknown ids are their own conversation.
    pub fn conversation_of(&mut self, id: &str) -> String {
        match self.index.get(id) {
            Some(&i) => {
                let r = self.find(i);
                self.ids[r].clone()
            }
            None => id.to_owned(),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_in_any_order_join_the_root() {
        let mut t = Threader::new();
        t.add("3", Some("2"));
        t.add("2", Some("1"));
        t.add("1", None);
        t.add("9", None);
        t.add("4", Some("1"));
        for id in ["1", "2", "3", "4"] {
            assert_eq!(t.conversation_of(id), "1");
        }
        assert_eq!(t.conversation_of("9"), "9");
        assert_eq!(t.conversation_of("unknown"), "unknown");
    }
}
