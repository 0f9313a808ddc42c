//! The workflow stage: the `workflow` crate's rules applied live. A new customer
//! conversation is routed to a team and handed to a member (round-robin or least-loaded,
//! capacity and presence respected, queued otherwise); its response-time targets run on the
//! policy's business-hours calendar; steps of the escalation chain fire as targets come near
//! or pass; every assignment and step is logged and sent to the webhooks; the inbox facets
//! (team, assignee, priority, SLA state and due time) follow.
//!
//! Durable state lives in the store (assignments, clock events, fired steps, configuration
//! versions); this struct is the in-memory view, rebuilt in [`Stage::start`]. Changes made
//! elsewhere (a new configuration version, an agent setting a conversation pending or
//! resolved, a manual assignment) are stored rows the stage polls on every tick.
//!
//! History: a conversation whose customer message is older than
//! `EngineConfig::live_horizon` is routed for the record (its team facet) but not assigned,
//! timed or escalated - an import of last year's data must not page the executives.

use std::collections::{BTreeSet, HashMap};

use model::{Analysis, Direction, Message, Visibility};
use store::{ClockKind, WorkflowFacet};
use workflow::{
    Assignment, ClockEvent, Dispatcher, Escalator, PolicyInput, PriorityInput, PriorityLevel,
    RouteInput, TargetKind, TargetState, TargetStatus, Ticket, WorkflowConfig,
};

use crate::outbox::event;
use crate::pipeline::{Analysed, Stage, StageContext};

/// Used until an administrator stores a configuration: one team, `service`, without members
/// (everything is routed there and waits in its queue).
pub const DEFAULT_CONFIG: &str = r#"
[routing]
default_team = "service"

[[teams]]
id = "service"
name = "Kundenservice / Customer service"
"#;

/// A conversation the stage times and escalates.
#[derive(Debug, Clone)]
struct Live {
    team: String,
    assignee: Option<String>,
    channel: String,
    visibility: Visibility,
    negative: bool,
    priority: PriorityInput,
    events: Vec<ClockEvent>,
    /// The facet as last written (write only changes).
    written: Option<WorkflowFacet>,
}

impl Live {
    fn note_inbound(&mut self, message: &Message, analysis: &Analysis, case_size: Option<u64>) {
        let p = &mut self.priority;
        p.urgency = p.urgency.max(analysis.urgency);
        p.negativity = p.negativity.max(analysis.negativity());
        p.toxicity = p.toxicity.max(analysis.toxicity);
        if let Some(size) = case_size {
            p.case_size = Some(u32::try_from(size).unwrap_or(u32::MAX));
        }
        p.waiting_since.get_or_insert(message.created_at);
        self.negative |= analysis.is_negative();
        self.events.push(ClockEvent::Inbound {
            at: message.created_at,
        });
    }
}

pub(crate) struct Workflow {
    config: WorkflowConfig,
    version: i64,
    dispatcher: Dispatcher,
    escalator: Escalator,
    live: HashMap<i64, Live>,
    /// Row ids of clock events and assignments already seen.
    clock_seen: i64,
    assignment_seen: i64,
}

fn dispatcher_for(config: &WorkflowConfig) -> Dispatcher {
    let strategy = config.assignment;
    Dispatcher::new(&config.teams, |_| strategy)
}

fn state_str(s: TargetState) -> &'static str {
    match s {
        TargetState::Running => "running",
        TargetState::Warning => "warning",
        TargetState::Paused => "paused",
        TargetState::Breached => "breached",
        TargetState::Met => "met",
        TargetState::Missed => "missed",
    }
}

fn target_of(s: &str) -> Option<TargetKind> {
    TargetKind::ALL.into_iter().find(|k| k.as_str() == s)
}

/// The target that matters most now: a breached one first, then the one due soonest.
fn nearest(statuses: &[TargetStatus]) -> Option<&TargetStatus> {
    statuses
        .iter()
        .filter(|s| !matches!(s.state, TargetState::Met | TargetState::Missed))
        .min_by_key(|s| (!s.state.is_breach(), s.due_at))
}

impl Workflow {
    pub(crate) fn new() -> Self {
        let config = WorkflowConfig::from_toml(DEFAULT_CONFIG).expect("the default is valid");
        Workflow {
            dispatcher: dispatcher_for(&config),
            config,
            version: 0,
            escalator: Escalator::new(),
            live: HashMap::new(),
            clock_seen: 0,
            assignment_seen: 0,
        }
    }

    /// Reads the newest stored configuration; on a new version rebuilds the dispatcher and
    /// hands every live conversation back to it (holders first, then the queue).
    fn load_config(&mut self, ctx: &StageContext<'_>) -> bool {
        let stored = match ctx.db.read(|s| s.workflow_config()) {
            Ok(c) => c,
            Err(error) => {
                tracing::error!(message = "reading the workflow configuration", %error);
                return false;
            }
        };
        let Some((version, text)) = stored else {
            return false;
        };
        if version == self.version {
            return false;
        }
        match WorkflowConfig::from_toml(&text) {
            Ok(config) => {
                tracing::info!(message = "workflow configuration loaded", version);
                self.config = config;
                self.version = version;
                true
            }
            Err(error) => {
                // the API validates before saving; a bad row is skipped, not retried forever
                tracing::error!(message = "stored workflow configuration is invalid", version, %error);
                self.version = version;
                false
            }
        }
    }

    fn rebuild_dispatcher(&mut self, ctx: &StageContext<'_>, touched: &mut BTreeSet<i64>) {
        self.dispatcher = dispatcher_for(&self.config);
        let mut ids: Vec<i64> = self.live.keys().copied().collect();
        ids.sort_unstable();
        let mut queued = Vec::new();
        for id in ids {
            let l = &self.live[&id];
            let key = id.to_string();
            match &l.assignee {
                Some(m) if self.dispatcher.assign_to(&l.team, m, &key).is_ok() => {}
                _ => queued.push(id),
            }
        }
        for id in queued {
            self.enqueue(id, ctx, touched);
        }
    }

    /// Offers a live conversation to its team and applies what the dispatcher decides.
    fn enqueue(&mut self, id: i64, ctx: &StageContext<'_>, touched: &mut BTreeSet<i64>) {
        let Some(l) = self.live.get(&id) else {
            return;
        };
        if self.config.team(&l.team).is_none() {
            // the team vanished from the configuration: route again
            let team = self.config.routing.default_team.clone();
            if let Some(l) = self.live.get_mut(&id) {
                l.team = team;
            }
        }
        let l = &self.live[&id];
        let ticket = Ticket {
            conversation: id.to_string(),
            waiting_since: l.priority.waiting_since.unwrap_or(ctx.now),
            language: None,
        };
        let team = l.team.clone();
        match self.dispatcher.offer(&team, ticket) {
            Ok(assignments) => {
                let assigned_self = assignments.iter().any(|a| a.conversation == id.to_string());
                if !assigned_self {
                    if let Err(error) = ctx.db.write(|s| s.assign(id, &team, None, ctx.now)) {
                        tracing::error!(message = "recording a queued conversation", %error);
                    }
                    let fields = serde_json::json!({"team": team});
                    ctx.outbox
                        .send(ctx.db, event::QUEUED, Some(id), ctx.now, fields);
                    touched.insert(id);
                }
                self.apply(assignments, ctx, touched);
            }
            Err(error) => tracing::warn!(message = "cannot queue a conversation", %error, id),
        }
    }

    /// Records the dispatcher's decisions.
    fn apply(
        &mut self,
        assignments: Vec<Assignment>,
        ctx: &StageContext<'_>,
        touched: &mut BTreeSet<i64>,
    ) {
        for a in assignments {
            let Ok(id) = a.conversation.parse::<i64>() else {
                continue;
            };
            if let Err(error) = ctx
                .db
                .write(|s| s.assign(id, &a.team, Some(&a.member), ctx.now))
            {
                tracing::error!(message = "recording an assignment", %error);
            }
            if let Some(l) = self.live.get_mut(&id) {
                l.assignee = Some(a.member.clone());
                l.team = a.team.clone();
            }
            let fields = serde_json::json!({"team": a.team, "member": a.member});
            ctx.outbox
                .send(ctx.db, event::ASSIGNED, Some(id), ctx.now, fields);
            touched.insert(id);
        }
    }

    /// A customer message opens a live conversation: route, then assign.
    fn open(
        &mut self,
        id: i64,
        message: &Message,
        analysis: &Analysis,
        case_size: Option<u64>,
        ctx: &StageContext<'_>,
        touched: &mut BTreeSet<i64>,
    ) {
        let decision = self.config.routing.route(
            &self.config.teams,
            &RouteInput::from_message(message, Some(analysis)),
        );
        let mut live = Live {
            team: decision.team,
            assignee: None,
            channel: message.channel.clone(),
            visibility: message.visibility,
            negative: false,
            priority: PriorityInput {
                visibility: Some(message.visibility),
                ..PriorityInput::default()
            },
            events: Vec::new(),
            written: None,
        };
        live.note_inbound(message, analysis, case_size);
        self.live.insert(id, live);
        self.enqueue(id, ctx, touched);
    }

    /// The conversation is over (resolved, or out of the horizon): frees its member.
    fn close(&mut self, id: i64, ctx: &StageContext<'_>, touched: &mut BTreeSet<i64>) {
        self.live.remove(&id);
        let key = id.to_string();
        self.escalator.forget(&key);
        let freed = self.dispatcher.release(&key);
        if let Err(error) = ctx.db.write(|s| s.release_assignment(id, ctx.now)) {
            tracing::error!(message = "releasing an assignment", %error);
        }
        self.apply(freed, ctx, touched);
    }

    /// Targets, escalation steps and facets of the given conversations at `ctx.now`.
    fn refresh(&mut self, ids: &BTreeSet<i64>, ctx: &StageContext<'_>) {
        let mut facets = Vec::new();
        for &id in ids {
            let Some(l) = self.live.get_mut(&id) else {
                continue;
            };
            let priority = self.config.priority.score(&l.priority, ctx.now);
            let policy = self.config.policy_for(&PolicyInput {
                channel: l.channel.clone(),
                priority: PriorityLevel::of_score(priority.score),
                visibility: l.visibility,
                negative: l.negative,
            });
            let calendar = self
                .config
                .calendar(&policy.calendar)
                .unwrap_or_else(workflow::Calendar::always);
            let statuses = policy.evaluate(&calendar, &l.events, ctx.now);
            let key = id.to_string();
            let notices = self.escalator.check(
                &self.config.escalation,
                &key,
                &statuses,
                self.config.team(&l.team),
                l.assignee.as_deref(),
                &self.config.executives,
                ctx.now,
            );
            for n in notices {
                let step = u32::try_from(n.step).unwrap_or(u32::MAX);
                let fresh = ctx
                    .db
                    .write(|s| s.mark_escalation_fired(id, n.target.as_str(), step, ctx.now));
                match fresh {
                    Ok(true) => {
                        let mut fields = serde_json::to_value(&n).unwrap_or_default();
                        if let Some(f) = fields.as_object_mut() {
                            f.insert("team".into(), l.team.clone().into());
                            f.insert("policy".into(), policy.name.clone().into());
                        }
                        ctx.outbox
                            .send(ctx.db, event::ESCALATION, Some(id), ctx.now, fields);
                    }
                    Ok(false) => {}
                    Err(error) => tracing::error!(message = "recording an escalation", %error),
                }
            }
            let near = nearest(&statuses);
            let facet = WorkflowFacet {
                conversation_id: id,
                team: Some(l.team.clone()),
                assignee: l.assignee.clone(),
                priority: Some(f64::from(priority.score)),
                sla_state: near.map(|s| state_str(s.state).to_owned()),
                sla_due_at: near.and_then(|s| s.due_at),
            };
            let changed = l.written.as_ref().is_none_or(|w| {
                w.team != facet.team
                    || w.assignee != facet.assignee
                    || w.sla_state != facet.sla_state
                    || w.sla_due_at != facet.sla_due_at
                    || (w.priority.unwrap_or(0.0) - facet.priority.unwrap_or(0.0)).abs() >= 0.5
            });
            if changed {
                l.written = Some(facet.clone());
                facets.push(facet);
            }
        }
        if let Err(error) = ctx.db.write(|s| s.set_workflow_facets(&facets)) {
            tracing::error!(message = "writing workflow facets", %error);
        }
    }

    /// Rebuilds a live conversation from the store (start-up).
    fn restore(&mut self, id: i64, team: &str, member: Option<&str>, ctx: &StageContext<'_>) {
        let horizon = ctx.now - ctx.config.live_horizon;
        let loaded = ctx.db.read(|s| {
            let messages = s.conversation_messages(id)?;
            let clock = s.clock_events(id)?;
            let mut analyses = HashMap::new();
            for m in &messages {
                if m.message.direction == Direction::Inbound
                    && m.message.created_at >= horizon
                    && let Some(a) = s.analysis_of(m.id)?
                {
                    analyses.insert(m.id, a);
                }
            }
            Ok::<_, store::StoreError>((messages, clock, analyses))
        });
        let (messages, clock, analyses) = match loaded {
            Ok(x) => x,
            Err(error) => {
                tracing::error!(message = "restoring a conversation", %error, id);
                return;
            }
        };
        let Some(first) = messages
            .iter()
            .find(|m| m.message.direction == Direction::Inbound && m.message.created_at >= horizon)
        else {
            return;
        };
        let mut live = Live {
            team: team.to_owned(),
            assignee: member.map(str::to_owned),
            channel: first.message.channel.clone(),
            visibility: first.message.visibility,
            negative: false,
            priority: PriorityInput {
                visibility: Some(first.message.visibility),
                ..PriorityInput::default()
            },
            events: Vec::new(),
            written: None,
        };
        for m in messages.iter().filter(|m| m.message.created_at >= horizon) {
            match m.message.direction {
                Direction::Inbound => match analyses.get(&m.id) {
                    Some(a) => live.note_inbound(&m.message, a, None),
                    None => live.events.push(ClockEvent::Inbound {
                        at: m.message.created_at,
                    }),
                },
                Direction::Outbound => live.events.push(ClockEvent::Reply {
                    at: m.message.created_at,
                }),
            }
        }
        for (kind, at) in clock {
            match kind {
                ClockKind::Pending => live.events.push(ClockEvent::Pending { at }),
                ClockKind::Resolved => live.events.push(ClockEvent::Resolved { at }),
                ClockKind::Reopened => live.events.push(ClockEvent::Inbound { at }),
            }
        }
        self.live.insert(id, live);
    }

    /// Pending / resolved / reopened set by agents since the last tick.
    fn poll_clock(&mut self, ctx: &StageContext<'_>, touched: &mut BTreeSet<i64>) {
        let rows = match ctx.db.read(|s| s.clock_rows_after(self.clock_seen)) {
            Ok(r) => r,
            Err(error) => {
                tracing::error!(message = "polling clock events", %error);
                return;
            }
        };
        for row in rows {
            self.clock_seen = self.clock_seen.max(row.id);
            let id = row.conversation_id;
            match row.kind {
                ClockKind::Resolved => {
                    if self.live.contains_key(&id) {
                        self.close(id, ctx, touched);
                        // The owner stays on the record (who solved it, possibly assigned by
                        // hand a moment ago); only the workload and the clock end.
                        if let Err(error) = ctx.db.write(|s| s.clear_sla_facets(&[id])) {
                            tracing::error!(message = "clearing workflow facets", %error);
                        }
                    }
                }
                ClockKind::Pending => {
                    if let Some(l) = self.live.get_mut(&id) {
                        l.events.push(ClockEvent::Pending { at: row.at });
                        touched.insert(id);
                    }
                }
                ClockKind::Reopened => {
                    if let Some(l) = self.live.get_mut(&id) {
                        l.events.push(ClockEvent::Inbound { at: row.at });
                        touched.insert(id);
                    }
                }
            }
        }
    }

    /// Assignments stored by someone else (a lead assigning by hand) since the last tick.
    fn poll_assignments(&mut self, ctx: &StageContext<'_>, touched: &mut BTreeSet<i64>) {
        let rows = match ctx
            .db
            .read(|s| s.assignment_rows_after(self.assignment_seen))
        {
            Ok(r) => r,
            Err(error) => {
                tracing::error!(message = "polling assignments", %error);
                return;
            }
        };
        for row in rows {
            self.assignment_seen = self.assignment_seen.max(row.id);
            if row.released {
                continue;
            }
            let id = row.conversation_id;
            let Some(l) = self.live.get(&id) else {
                continue;
            };
            if l.team == row.team && l.assignee == row.member {
                continue; // our own decision
            }
            let key = id.to_string();
            let freed = match &row.member {
                Some(m) => match self.dispatcher.assign_to(&row.team, m, &key) {
                    Ok(_) => Vec::new(),
                    // someone outside the configured teams: the rules let go of it
                    Err(_) => self.dispatcher.release(&key),
                },
                None => self.dispatcher.release(&key),
            };
            if let Some(l) = self.live.get_mut(&id) {
                l.team = row.team.clone();
                l.assignee = row.member.clone();
            }
            touched.insert(id);
            self.apply(freed, ctx, touched);
        }
    }
}

impl Stage for Workflow {
    fn name(&self) -> &'static str {
        "workflow"
    }

    fn start(&mut self, ctx: &StageContext<'_>) {
        self.load_config(ctx);
        self.dispatcher = dispatcher_for(&self.config);
        let restored = ctx.db.read(|s| {
            Ok::<_, store::StoreError>((
                s.escalations_fired()?,
                s.workflow_watermarks()?,
                s.open_assignments()?,
                s.unrouted_conversations(ctx.now - ctx.config.live_horizon)?,
            ))
        });
        let (fired, (clock_seen, assignment_seen), open, unrouted) = match restored {
            Ok(x) => x,
            Err(error) => {
                tracing::error!(message = "restoring the workflow state", %error);
                return;
            }
        };
        self.escalator = Escalator::from_fired(
            fired
                .into_iter()
                .filter_map(|(c, t, step)| Some((c.to_string(), target_of(&t)?, step as usize))),
        );
        self.clock_seen = clock_seen;
        self.assignment_seen = assignment_seen;
        for a in &open {
            self.restore(a.conversation_id, &a.team, a.member.as_deref(), ctx);
        }
        let mut touched = BTreeSet::new();
        self.rebuild_dispatcher(ctx, &mut touched);
        // analysed before a crash but never routed
        for id in unrouted {
            let latest = ctx.db.read(|s| {
                let messages = s.conversation_messages(id)?;
                let Some(m) = messages
                    .into_iter()
                    .rev()
                    .find(|m| m.message.direction == Direction::Inbound)
                else {
                    return Ok(None);
                };
                let a = s.analysis_of(m.id)?;
                Ok::<_, store::StoreError>(a.map(|a| (m.message, a)))
            });
            if let Ok(Some((message, analysis))) = latest {
                self.open(id, &message, &analysis, None, ctx, &mut touched);
            }
        }
        let all: BTreeSet<i64> = self.live.keys().copied().collect();
        self.refresh(&all, ctx);
        tracing::info!(
            message = "workflow stage started",
            live = self.live.len(),
            version = self.version
        );
    }

    fn process(&mut self, batch: &mut [Analysed], ctx: &StageContext<'_>) {
        let horizon = ctx.now - ctx.config.live_horizon;
        let mut touched = BTreeSet::new();
        let mut history: Vec<(i64, String)> = Vec::new();
        for a in batch.iter() {
            let m = &a.stored.message;
            let id = a.stored.conversation_id;
            let case_size = a.case.map(|c| c.size);
            match m.direction {
                Direction::Inbound => {
                    if let Some(l) = self.live.get_mut(&id) {
                        l.note_inbound(m, &a.analysis, case_size);
                        touched.insert(id);
                    } else if m.created_at >= horizon {
                        self.open(id, m, &a.analysis, case_size, ctx, &mut touched);
                    } else {
                        let team = self
                            .config
                            .routing
                            .route(
                                &self.config.teams,
                                &RouteInput::from_message(m, Some(&a.analysis)),
                            )
                            .team;
                        history.push((id, team));
                    }
                }
                Direction::Outbound => {
                    if let Some(l) = self.live.get_mut(&id) {
                        l.events.push(ClockEvent::Reply { at: m.created_at });
                        l.priority.waiting_since = None;
                        touched.insert(id);
                    }
                }
            }
        }
        if !history.is_empty()
            && let Err(error) = ctx.db.write(|s| s.set_conversation_teams(&history))
        {
            tracing::error!(message = "recording teams of history", %error);
        }
        self.refresh(&touched, ctx);
    }

    fn tick(&mut self, ctx: &StageContext<'_>) {
        let mut touched = BTreeSet::new();
        if self.load_config(ctx) {
            self.rebuild_dispatcher(ctx, &mut touched);
        }
        ctx.outbox.refresh_webhooks(ctx.db);
        self.poll_clock(ctx, &mut touched);
        self.poll_assignments(ctx, &mut touched);
        // out of the horizon without a word from the customer: history now
        let horizon = ctx.now - ctx.config.live_horizon;
        let stale: Vec<i64> = self
            .live
            .iter()
            .filter(|(_, l)| {
                l.events
                    .iter()
                    .filter(|e| matches!(e, ClockEvent::Inbound { .. }))
                    .map(ClockEvent::at)
                    .max()
                    .is_some_and(|t| t < horizon)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.close(id, ctx, &mut touched);
        }
        let all: BTreeSet<i64> = self.live.keys().copied().collect();
        self.refresh(&all, ctx);
    }
}
