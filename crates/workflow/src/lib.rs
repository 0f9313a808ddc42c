//! What happens next with a conversation: routing to a team, assignment inside the team,
//! priority, response-time targets with business hours, escalation. Pure rules, no IO.
