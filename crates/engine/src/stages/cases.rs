//! The case stage: groups each customer message into a case and feeds the burst monitor
//! (`analysis::burst::Watcher`), stores cases (from their second member on: a lone message
//! is not a case) and alerts, tells the webhooks when an alert opens, rises or closes, and
//! marks each message with its case for the stages after it.
//!
//! At start the last `CaseConfig::window_secs` of stored messages are replayed silently, so
//! cases keep growing across a restart and keep their stored ids.

use std::collections::{BTreeMap, HashMap};

use analysis::burst::{MonitorConfig, Watcher};
use analysis::cases::{Case, CaseConfig};
use model::{Alert, AlertEvent, AlertScope, Severity};
use store::CaseUpdate;

use crate::outbox::event;
use crate::pipeline::{AlertSink, Analysed, CaseRef, Stage, StageContext};

pub(crate) struct Cases {
    watcher: Watcher,
    alerts: AlertSink,
    /// Casebook case id -> stored case id.
    stored: HashMap<String, i64>,
    /// Cases with one member so far (not stored yet): case number -> (message, conversation).
    lone: HashMap<usize, (i64, i64)>,
    /// Latest severity of each open alert (to tell only when it rises).
    severity: HashMap<String, Severity>,
    /// The casebook's retirement counter when `stored` was last pruned.
    retired_seen: u64,
}

impl Cases {
    pub(crate) fn new(alerts: AlertSink) -> Self {
        Cases {
            watcher: Watcher::new(CaseConfig::default(), MonitorConfig::default()),
            alerts,
            stored: HashMap::new(),
            lone: HashMap::new(),
            severity: HashMap::new(),
            retired_seen: 0,
        }
    }

    /// Groups the batch; returns per message the case index it joined (None: outbound).
    fn group(
        &mut self,
        batch: &mut [Analysed],
        ctx: &StageContext<'_>,
        replay: bool,
    ) -> Vec<Alert> {
        let mut raised = Vec::new();
        let mut joined: Vec<Option<usize>> = Vec::with_capacity(batch.len());
        let mut members: BTreeMap<usize, Vec<(i64, i64)>> = BTreeMap::new();
        for a in batch.iter() {
            let Some(asg) = self
                .watcher
                .observe(&a.stored.message, Some(&a.analysis), &mut raised)
            else {
                joined.push(None);
                continue;
            };
            joined.push(Some(asg.case));
            let member = (a.stored.id, a.stored.conversation_id);
            let Some(case) = self.watcher.casebook.case(asg.case) else {
                continue;
            };
            if replay && asg.new_case {
                // the message may already be a member of a stored case: keep that id
                if let Ok(Some(id)) = ctx.db.read(|s| s.case_of_message(member.0)) {
                    self.stored.insert(case.case_id.clone(), id);
                }
            }
            if case.size < 2 && !self.stored.contains_key(&case.case_id) {
                self.lone.insert(asg.case, member);
                continue;
            }
            let list = members.entry(asg.case).or_default();
            if let Some(first) = self.lone.remove(&asg.case) {
                list.push(first);
            }
            list.push(member);
        }
        let updates: Vec<(usize, CaseUpdate)> = members
            .into_iter()
            .filter_map(|(idx, new_members)| {
                let case = self.watcher.casebook.case(idx)?;
                Some((
                    idx,
                    update_of(case, self.stored.get(&case.case_id).copied(), new_members),
                ))
            })
            .collect();
        if !updates.is_empty() {
            let rows: Vec<CaseUpdate> = updates.iter().map(|(_, u)| u.clone()).collect();
            match ctx.db.write(|s| s.save_cases(&rows)) {
                Ok(ids) => {
                    for ((idx, _), id) in updates.iter().zip(ids) {
                        if let Some(case) = self.watcher.casebook.case(*idx) {
                            self.stored.insert(case.case_id.clone(), id);
                        }
                    }
                }
                Err(error) => tracing::error!(message = "saving cases", %error),
            }
        }
        for (a, idx) in batch.iter_mut().zip(joined) {
            let Some(case) = idx.and_then(|i| self.watcher.casebook.case(i)) else {
                continue;
            };
            if let Some(&id) = self.stored.get(&case.case_id) {
                a.case = Some(CaseRef {
                    id,
                    size: case.size,
                    customers: case.customers,
                });
            }
        }
        raised
    }

    /// A case alert names the stored case (the casebook's own ids do not outlive a restart).
    fn name_cases(&self, alerts: &mut [Alert]) {
        for a in alerts {
            if a.scope == AlertScope::Case
                && let Some(id) = self.stored.get(&a.key)
            {
                a.key = id.to_string();
            }
        }
    }

    fn publish(&mut self, mut alerts: Vec<Alert>, ctx: &StageContext<'_>) {
        if alerts.is_empty() {
            return;
        }
        self.name_cases(&mut alerts);
        if let Err(error) = ctx.db.write(|s| s.save_alerts(&alerts)) {
            tracing::error!(message = "saving alerts", %error);
        }
        for alert in alerts {
            let tell = match alert.event {
                AlertEvent::Opened => true,
                AlertEvent::Updated => self
                    .severity
                    .get(&alert.alert_id)
                    .is_some_and(|s| alert.severity > *s),
                AlertEvent::Closed => true,
            };
            if alert.event == AlertEvent::Closed {
                self.severity.remove(&alert.alert_id);
            } else {
                self.severity.insert(alert.alert_id.clone(), alert.severity);
            }
            if tell {
                let fields = serde_json::json!({ "alert": alert });
                ctx.outbox
                    .send(ctx.db, event::ALERT, None, alert.updated_at, fields);
            }
            self.alerts.push(alert);
        }
    }
}

fn update_of(case: &Case, id: Option<i64>, new_members: Vec<(i64, i64)>) -> CaseUpdate {
    let mut topics: Vec<(&String, &u64)> = case.topics.iter().collect();
    topics.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    CaseUpdate {
        id,
        label: case.label.clone(),
        first_seen: case.first_seen,
        last_seen: case.last_seen,
        size: i64::try_from(case.size).unwrap_or(i64::MAX),
        customers: i64::try_from(case.customers).unwrap_or(i64::MAX),
        negative: i64::try_from(case.sentiment.negative).unwrap_or(i64::MAX),
        topics: topics
            .iter()
            .take(3)
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(","),
        channels: case
            .channels
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(","),
        new_members,
    }
}

impl Stage for Cases {
    fn name(&self) -> &'static str {
        "cases"
    }

    fn start(&mut self, ctx: &StageContext<'_>) {
        let window = chrono::Duration::seconds(self.watcher.casebook.config().window_secs);
        let from = match ctx.db.read(|s| s.first_message_id_since(ctx.now - window)) {
            Ok(Some(id)) => id - 1,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(message = "finding recent messages to replay", %error);
                return;
            }
        };
        let mut after = from;
        let mut replayed = 0usize;
        loop {
            let items = match ctx.db.read(|s| s.analysed_after(after, ctx.config.batch)) {
                Ok(items) => items,
                Err(error) => {
                    tracing::error!(message = "replaying recent messages", %error);
                    return;
                }
            };
            let Some(last) = items.last().map(|(m, _)| m.id) else {
                break;
            };
            let mut batch: Vec<Analysed> = items
                .into_iter()
                .map(|(stored, analysis)| Analysed {
                    stored,
                    analysis,
                    case: None,
                })
                .collect();
            replayed += batch.len();
            let mut alerts = self.group(&mut batch, ctx, true);
            self.name_cases(&mut alerts);
            // stored already (alert ids are stable); refresh without telling anyone again
            if let Err(error) = ctx.db.write(|s| s.save_alerts(&alerts)) {
                tracing::error!(message = "saving replayed alerts", %error);
            }
            for alert in alerts {
                if alert.event != AlertEvent::Closed {
                    self.severity.insert(alert.alert_id.clone(), alert.severity);
                }
                self.alerts.push(alert);
            }
            after = last;
        }
        tracing::info!(
            message = "case stage replayed recent messages",
            count = replayed
        );
    }

    fn process(&mut self, batch: &mut [Analysed], ctx: &StageContext<'_>) {
        let alerts = self.group(batch, ctx, false);
        self.publish(alerts, ctx);
    }

    fn tick(&mut self, ctx: &StageContext<'_>) {
        let alerts = self.watcher.tick(ctx.now);
        self.publish(alerts, ctx);
        let window = chrono::Duration::seconds(self.watcher.casebook.config().window_secs);
        let (casebook, monitor) = (&self.watcher.casebook, &self.watcher.monitor);
        self.lone.retain(|idx, _| {
            casebook
                .case(*idx)
                .is_some_and(|c| c.last_seen >= ctx.now - window)
        });
        // Retired cases take no members; keep the stored id while an alert on the case
        // may still be told.
        if casebook.retired() != self.retired_seen {
            self.retired_seen = casebook.retired();
            self.stored
                .retain(|id, _| casebook.is_live(id) || monitor.has_case(id));
        }
    }
}
