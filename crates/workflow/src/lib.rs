//! What happens next with a conversation: routing to a team, assignment inside the team,
//! priority, response-time targets with business hours, escalation, canned responses and
//! knowledge-base drafts. Pure rules, no IO, no async; the clock is always an argument.

pub mod assign;
pub mod calendar;
pub mod canned;
pub mod config;
pub mod escalation;
pub mod knowledge;
pub mod priority;
pub mod routing;
pub mod sla;
pub mod team;

pub use assign::{Assignment, DispatchError, Dispatcher, Strategy, Ticket};
pub use calendar::{Calendar, DayTime, OpenHours, PublicHolidays};
pub use canned::{CannedResponse, RenderError};
pub use config::{ConfigError, WorkflowConfig, default_policies};
pub use escalation::{EscalationChain, EscalationNotice, EscalationStep, Escalator, Stage};
pub use knowledge::{SolvedConversation, draft_article};
pub use priority::{
    InboxItem, Priority, PriorityInput, PriorityLevel, PriorityWeights, sort_inbox,
};
pub use routing::{Condition, RouteDecision, RouteInput, RouteReason, Routing, RoutingRule};
pub use sla::{
    ClockEvent, PolicyCondition, PolicyInput, SlaPolicy, TargetKind, TargetState, TargetStatus,
};
pub use team::{Member, Presence, Role, Skills, Team};
