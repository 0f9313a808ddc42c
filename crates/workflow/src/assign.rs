//! Auto-assignment inside a team: round-robin or least-loaded, respecting each member's
//! capacity, presence and languages; conversations nobody can take wait in a per-team queue
//! and are handed out oldest-first as soon as capacity frees.
//!
//! [`Dispatcher`] is plain in-memory state: the server keeps one, feeds it events (a new
//! conversation, a closed one, a presence change) and applies the assignments it returns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::team::{Presence, Team};

/// How a team hands out conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Members take turns in configured order, skipping who is full, absent or lacks the
    /// language.
    #[default]
    RoundRobin,
    /// The member with the lowest utilisation (open / capacity) gets it; ties go to whoever
    /// waited longest since their last assignment.
    LeastLoaded,
}

/// A conversation waiting for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub conversation: String,
    /// When the customer started waiting; the queue is served oldest first.
    pub waiting_since: Timestamp,
    #[serde(default)]
    pub language: Option<String>,
}

/// One decision: `conversation` goes to `member` of `team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub team: String,
    pub member: String,
    pub conversation: String,
}

#[derive(Debug, Clone)]
struct Seat {
    id: String,
    capacity: u32,
    presence: Presence,
    languages: Vec<String>,
    load: u32,
    /// Sequence number of the last assignment (0 = never).
    last: u64,
}

impl Seat {
    fn can_take(&self, language: Option<&str>) -> bool {
        self.presence == Presence::Online
            && self.load < self.capacity
            && match language {
                Some(l) if !self.languages.is_empty() => self.languages.iter().any(|x| x == l),
                _ => true,
            }
    }
}

#[derive(Debug, Clone)]
struct Desk {
    strategy: Strategy,
    seats: Vec<Seat>,
    /// Index of the seat after the last round-robin pick.
    cursor: usize,
    /// Waiting tickets ordered by (waiting_since, conversation).
    queue: BTreeSet<(Timestamp, String)>,
    languages: HashMap<String, Option<String>>,
}

/// Errors of the dispatcher's commands (unknown names come from the API or a stale UI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    #[error("unknown team `{0}`")]
    UnknownTeam(String),
    #[error("unknown member `{member}` in team `{team}`")]
    UnknownMember { team: String, member: String },
    #[error("conversation `{0}` is already assigned or queued")]
    Duplicate(String),
}

/// Assignment state of all teams.
#[derive(Debug, Clone, Default)]
pub struct Dispatcher {
    desks: BTreeMap<String, Desk>,
    /// conversation -> (team, member) for assigned conversations.
    held: HashMap<String, (String, String)>,
    seq: u64,
}

impl Dispatcher {
    /// Starts with every team's members at zero load; `strategy_of` picks each team's strategy.
    pub fn new(teams: &[Team], strategy_of: impl Fn(&Team) -> Strategy) -> Self {
        let desks = teams
            .iter()
            .map(|t| {
                let seats = t
                    .members
                    .iter()
                    .map(|m| Seat {
                        id: m.id.clone(),
                        capacity: m.capacity,
                        presence: m.presence,
                        languages: m.languages.clone(),
                        load: 0,
                        last: 0,
                    })
                    .collect();
                let desk = Desk {
                    strategy: strategy_of(t),
                    seats,
                    cursor: 0,
                    queue: BTreeSet::new(),
                    languages: HashMap::new(),
                };
                (t.id.clone(), desk)
            })
            .collect();
        Dispatcher {
            desks,
            held: HashMap::new(),
            seq: 0,
        }
    }

    fn desk(&mut self, team: &str) -> Result<&mut Desk, DispatchError> {
        self.desks
            .get_mut(team)
            .ok_or_else(|| DispatchError::UnknownTeam(team.to_owned()))
    }

    /// A new conversation for `team`: queued, then the queue is served oldest-first, so a new
    /// conversation never overtakes one that has waited longer. Returns the assignments made.
    pub fn offer(&mut self, team: &str, ticket: Ticket) -> Result<Vec<Assignment>, DispatchError> {
        if self.held.contains_key(&ticket.conversation)
            || self
                .desks
                .values()
                .any(|d| d.languages.contains_key(&ticket.conversation))
        {
            return Err(DispatchError::Duplicate(ticket.conversation));
        }
        let desk = self.desk(team)?;
        desk.queue
            .insert((ticket.waiting_since, ticket.conversation.clone()));
        desk.languages.insert(ticket.conversation, ticket.language);
        Ok(self.backfill(team))
    }

    /// The conversation was closed or handed elsewhere: its member's load drops and the team's
    /// queue is served. Unknown or queued conversations are simply removed.
    pub fn release(&mut self, conversation: &str) -> Vec<Assignment> {
        if let Some((team, member)) = self.held.remove(conversation) {
            if let Some(desk) = self.desks.get_mut(&team)
                && let Some(seat) = desk.seats.iter_mut().find(|s| s.id == member)
            {
                seat.load = seat.load.saturating_sub(1);
            }
            return self.backfill(&team);
        }
        for desk in self.desks.values_mut() {
            if let Some(lang) = desk.languages.remove(conversation) {
                let _ = lang;
                desk.queue.retain(|(_, c)| c != conversation);
            }
        }
        Vec::new()
    }

    /// A member comes online, goes away or offline; coming online serves the queue.
    /// Going away keeps the member's open conversations with them.
    pub fn set_presence(
        &mut self,
        team: &str,
        member: &str,
        presence: Presence,
    ) -> Result<Vec<Assignment>, DispatchError> {
        self.seat(team, member)?.presence = presence;
        Ok(self.backfill(team))
    }

    /// Changes a member's capacity; raising it serves the queue.
    pub fn set_capacity(
        &mut self,
        team: &str,
        member: &str,
        capacity: u32,
    ) -> Result<Vec<Assignment>, DispatchError> {
        self.seat(team, member)?.capacity = capacity;
        Ok(self.backfill(team))
    }

    /// A manual assignment (by a lead): counts towards load even beyond capacity.
    pub fn assign_to(
        &mut self,
        team: &str,
        member: &str,
        conversation: &str,
    ) -> Result<Assignment, DispatchError> {
        self.release(conversation);
        self.seq += 1;
        let seq = self.seq;
        let seat = self.seat(team, member)?;
        seat.load += 1;
        seat.last = seq;
        self.held.insert(
            conversation.to_owned(),
            (team.to_owned(), member.to_owned()),
        );
        Ok(Assignment {
            team: team.to_owned(),
            member: member.to_owned(),
            conversation: conversation.to_owned(),
        })
    }

    fn seat(&mut self, team: &str, member: &str) -> Result<&mut Seat, DispatchError> {
        self.desk(team)?
            .seats
            .iter_mut()
            .find(|s| s.id == member)
            .ok_or_else(|| DispatchError::UnknownMember {
                team: team.to_owned(),
                member: member.to_owned(),
            })
    }

    /// Open conversations held by `member` of `team`.
    pub fn load(&self, team: &str, member: &str) -> Option<u32> {
        self.desks
            .get(team)?
            .seats
            .iter()
            .find(|s| s.id == member)
            .map(|s| s.load)
    }

    /// Who holds a conversation: `(team, member)`.
    pub fn holder(&self, conversation: &str) -> Option<(&str, &str)> {
        self.held
            .get(conversation)
            .map(|(t, m)| (t.as_str(), m.as_str()))
    }

    /// Waiting conversations of a team, oldest first.
    pub fn queue(&self, team: &str) -> Vec<&str> {
        self.desks
            .get(team)
            .map(|d| d.queue.iter().map(|(_, c)| c.as_str()).collect())
            .unwrap_or_default()
    }

    /// Serves `team`'s queue oldest-first until nobody can take the oldest remaining ticket
    /// that someone could take. A ticket no present member speaks the language of is skipped
    /// (it waits) so it does not block the others.
    fn backfill(&mut self, team: &str) -> Vec<Assignment> {
        let mut out = Vec::new();
        let Some(desk) = self.desks.get_mut(team) else {
            return out;
        };
        let waiting: Vec<(Timestamp, String)> = desk.queue.iter().cloned().collect();
        for key in waiting {
            if !desk
                .seats
                .iter()
                .any(|s| s.presence == Presence::Online && s.load < s.capacity)
            {
                break;
            }
            let language = desk.languages.get(&key.1).cloned().flatten();
            let Some(i) = pick(desk, language.as_deref()) else {
                continue;
            };
            self.seq += 1;
            let n = desk.seats.len();
            let seat = &mut desk.seats[i];
            seat.load += 1;
            seat.last = self.seq;
            if desk.strategy == Strategy::RoundRobin {
                desk.cursor = (i + 1) % n;
            }
            desk.queue.remove(&key);
            desk.languages.remove(&key.1);
            self.held
                .insert(key.1.clone(), (team.to_owned(), seat.id.clone()));
            out.push(Assignment {
                team: team.to_owned(),
                member: seat.id.clone(),
                conversation: key.1,
            });
        }
        out
    }
}

/// The seat that gets the next conversation under the desk's strategy, if any can take it.
fn pick(desk: &Desk, language: Option<&str>) -> Option<usize> {
    let n = desk.seats.len();
    match desk.strategy {
        Strategy::RoundRobin => (0..n)
            .map(|k| (desk.cursor + k) % n)
            .find(|&i| desk.seats[i].can_take(language)),
        Strategy::LeastLoaded => desk
            .seats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.can_take(language))
            // utilisation load/capacity compared exactly as load_a * cap_b vs load_b * cap_a
            .min_by(|(_, a), (_, b)| {
                (u64::from(a.load) * u64::from(b.capacity))
                    .cmp(&(u64::from(b.load) * u64::from(a.capacity)))
                    .then(a.last.cmp(&b.last))
            })
            .map(|(i, _)| i),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::{Duration, TimeZone, Utc};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::team::{Member, Role, Skills};

    fn member(id: &str, capacity: u32) -> Member {
        Member {
            id: id.into(),
            name: None,
            role: Role::Agent,
            capacity,
            presence: Presence::Online,
            languages: Vec::new(),
        }
    }

    fn team(members: Vec<Member>) -> Team {
        Team {
            id: "t".into(),
            name: None,
            skills: Skills::default(),
            members,
        }
    }

    fn ticket(n: u32) -> Ticket {
        Ticket {
            conversation: format!("c{n}"),
            waiting_since: Utc.timestamp_opt(1_700_000_000, 0).unwrap()
                + Duration::seconds(i64::from(n)),
            language: None,
        }
    }

    /// Simulates `total` new conversations with random closing; returns assignments per member
    /// and checks on every pick that capacity holds (and for least-loaded that the pick had
    /// the lowest utilisation).
    fn simulate(
        strategy: Strategy,
        capacities: &[u32],
        total: u32,
        seed: u64,
    ) -> HashMap<String, u32> {
        let members: Vec<Member> = capacities
            .iter()
            .enumerate()
            .map(|(i, &c)| member(&format!("m{i}"), c))
            .collect();
        let caps: HashMap<String, u32> =
            members.iter().map(|m| (m.id.clone(), m.capacity)).collect();
        let mut d = Dispatcher::new(&[team(members)], |_| strategy);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut open: Vec<String> = Vec::new();
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut offered = 0;
        while offered < total {
            if rng.random_bool(0.55) || open.is_empty() {
                let before: HashMap<String, u32> = caps
                    .keys()
                    .map(|m| (m.clone(), d.load("t", m).unwrap()))
                    .collect();
                let made = d.offer("t", ticket(offered)).unwrap();
                offered += 1;
                for a in &made {
                    if strategy == Strategy::LeastLoaded && made.len() == 1 {
                        let util = |m: &str| f64::from(before[m]) / f64::from(caps[m]);
                        let min = caps
                            .keys()
                            .filter(|m| before[*m] < caps[*m])
                            .map(|m| util(m))
                            .fold(f64::INFINITY, f64::min);
                        assert!(util(&a.member) <= min + 1e-9, "{a:?} not least loaded");
                    }
                    *counts.entry(a.member.clone()).or_default() += 1;
                    open.push(a.conversation.clone());
                }
            } else {
                let i = rng.random_range(0..open.len());
                let c = open.swap_remove(i);
                for a in d.release(&c) {
                    *counts.entry(a.member.clone()).or_default() += 1;
                    open.push(a.conversation.clone());
                }
            }
            for (m, cap) in &caps {
                assert!(d.load("t", m).unwrap() <= *cap, "{m} over capacity");
            }
        }
        counts
    }

    #[test]
    fn fairness_over_10000_assignments() {
        // (strategy, capacities, max spread between most and least assigned)
        let cases: &[(Strategy, &[u32], u32)] = &[
            (Strategy::RoundRobin, &[1000, 1000, 1000, 1000, 1000], 1),
            (Strategy::RoundRobin, &[3, 3, 3, 3, 3], 150),
            (Strategy::LeastLoaded, &[3, 3, 3, 3, 3], 150),
            // least-loaded balances open load, not counts: random closings shift counts a little
            (Strategy::LeastLoaded, &[1000, 1000, 1000, 1000], 150),
        ];
        for &(strategy, caps, spread) in cases {
            let counts = simulate(strategy, caps, 10_000, 7);
            let (max, min) = (
                counts.values().max().copied().unwrap_or(0),
                counts.values().min().copied().unwrap_or(0),
            );
            assert_eq!(
                counts.len(),
                caps.len(),
                "{strategy:?}: someone got nothing"
            );
            assert!(
                max - min <= spread,
                "{strategy:?} {caps:?}: spread {max}-{min} = {}",
                max - min
            );
        }
    }

    #[test]
    fn least_loaded_follows_capacity() {
        // utilisation-based: a member with twice the capacity takes about twice the work
        // while everyone is busy
        let counts = simulate(Strategy::LeastLoaded, &[2, 4], 10_000, 11);
        let ratio = f64::from(counts["m1"]) / f64::from(counts["m0"]);
        assert!((1.5..=2.5).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn capacity_presence_and_oldest_first_backfill() {
        let mut d = Dispatcher::new(&[team(vec![member("a", 1), member("b", 1)])], |_| {
            Strategy::RoundRobin
        });
        let got = |v: Vec<Assignment>| -> Vec<(String, String)> {
            v.into_iter().map(|a| (a.conversation, a.member)).collect()
        };
        let pair = |c: &str, m: &str| (c.to_owned(), m.to_owned());
        assert_eq!(got(d.offer("t", ticket(1)).unwrap()), vec![pair("c1", "a")]);
        assert_eq!(got(d.offer("t", ticket(2)).unwrap()), vec![pair("c2", "b")]);
        // full: queued; offered out of order, served oldest first
        assert!(d.offer("t", ticket(5)).unwrap().is_empty());
        assert!(d.offer("t", ticket(3)).unwrap().is_empty());
        assert_eq!(d.queue("t"), vec!["c3", "c5"]);
        assert_eq!(got(d.release("c1")), vec![pair("c3", "a")]);
        // b goes offline: its conversation stays, freed capacity is not used while away
        assert!(
            d.set_presence("t", "b", Presence::Offline)
                .unwrap()
                .is_empty()
        );
        assert!(d.release("c2").is_empty());
        assert_eq!(d.queue("t"), vec!["c5"]);
        assert_eq!(
            got(d.set_presence("t", "b", Presence::Online).unwrap()),
            vec![pair("c5", "b")]
        );
        // capacity raise serves the queue
        assert!(d.offer("t", ticket(6)).unwrap().is_empty());
        assert_eq!(
            got(d.set_capacity("t", "a", 2).unwrap()),
            vec![pair("c6", "a")]
        );
        assert_eq!(d.holder("c6"), Some(("t", "a")));
        assert_eq!(
            d.offer("t", ticket(6)),
            Err(DispatchError::Duplicate("c6".into()))
        );
        assert!(matches!(
            d.offer("x", ticket(9)),
            Err(DispatchError::UnknownTeam(_))
        ));
    }

    #[test]
    fn language_waits_without_blocking_others() {
        let mut de = member("de", 1);
        de.languages = vec!["de".into()];
        let mut d = Dispatcher::new(&[team(vec![de])], |_| Strategy::RoundRobin);
        let mut fr = ticket(1);
        fr.language = Some("fr".into());
        assert!(d.offer("t", fr).unwrap().is_empty());
        let mut de_ticket = ticket(2);
        de_ticket.language = Some("de".into());
        let made = d.offer("t", de_ticket).unwrap();
        assert_eq!(made[0].conversation, "c2");
        assert_eq!(d.queue("t"), vec!["c1"]);
    }
}
