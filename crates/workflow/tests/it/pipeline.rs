//! One conversation through every rule with a simulated clock: a negative public message about
//! a topic the technicians own is routed to them, assigned to a technician, gets the shortest
//! response-time target, breaches it, and escalates to the lead and then to an executive.

use chrono::{Duration, TimeZone, Utc};
use model::analysis::Scored;
use model::{Analysis, Direction, Message, Sentiment, SentimentLabel, Visibility};
use workflow::{
    ClockEvent, Dispatcher, Escalator, PolicyInput, PriorityInput, Role, RouteInput, RouteReason,
    TargetKind, TargetState, Ticket, WorkflowConfig,
};

const CONFIG: &str = include_str!("../../example.toml");

fn message(at: chrono::DateTime<Utc>) -> (Message, Analysis) {
    let m = Message {
        channel: "twitter".into(),
        external_id: "t1".into(),
        author: "kunde42".into(),
        author_name: None,
        text: "Seit drei Tagen kein Internet, Störung überall, niemand hilft!".into(),
        created_at: at,
        in_reply_to: None,
        direction: Direction::Inbound,
        visibility: Visibility::Public,
        language: Some("de".into()),
        brand: None,
        labels: Default::default(),
        raw: None,
    };
    let a = Analysis {
        language: "de".into(),
        relevance: 0.9,
        sentiment: Sentiment {
            label: SentimentLabel::Negative,
            confidence: 0.7,
        },
        topics: vec![Scored {
            label: "stoerung".into(),
            score: 0.8,
        }],
        toxicity: 0.1,
        fact_claim: 0.2,
        churn: 0.0,
        urgency: 0.6,
        question: 0.1,
        model_version: "test".into(),
    };
    (m, a)
}

#[test]
fn negative_public_technical_message_escalates_to_the_front_row() {
    let cfg = WorkflowConfig::from_toml(CONFIG).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 28, 20, 0, 0).unwrap(); // Saturday evening
    let (m, a) = message(t0);

    // routing: negativity 0.7 is below the shitstorm rule's 0.8, so the technicians' skill wins
    let input = RouteInput::from_message(&m, Some(&a));
    let decision = cfg.routing.route(&cfg.teams, &input);
    assert_eq!(decision.team, "technik");
    assert!(matches!(decision.reason, RouteReason::Skill { .. }));

    // assignment: least-loaded among technicians who speak German
    let mut dispatcher = Dispatcher::new(&cfg.teams, |_| cfg.assignment);
    let made = dispatcher
        .offer(
            "technik",
            Ticket {
                conversation: "c1".into(),
                waiting_since: t0,
                language: input.language.clone(),
            },
        )
        .unwrap();
    assert_eq!(made.len(), 1);
    let team = cfg.team("technik").unwrap();
    let assignee = &made[0].member;
    assert_eq!(
        team.members
            .iter()
            .find(|x| &x.id == assignee)
            .unwrap()
            .role,
        Role::Agent
    );

    // priority and policy: public + negative gets the 30-minute, around-the-clock target
    let priority = cfg.priority.score(
        &PriorityInput {
            urgency: a.urgency,
            negativity: a.negativity(),
            toxicity: a.toxicity,
            visibility: Some(m.visibility),
            reach: None,
            case_size: Some(1),
            waiting_since: Some(t0),
        },
        t0,
    );
    let policy = cfg.policy_for(&PolicyInput {
        channel: m.channel.clone(),
        priority: priority.level,
        visibility: m.visibility,
        negative: a.negativity() >= 0.5,
    });
    assert_eq!(policy.name, "public-negative");
    let calendar = cfg.calendar(&policy.calendar).unwrap();

    // the simulated clock ticks every 5 minutes for two hours; nobody answers
    let events = [ClockEvent::Inbound { at: t0 }];
    let mut escalator = Escalator::new();
    let mut seen = Vec::new();
    for tick in 0..=24 {
        let now = t0 + Duration::minutes(5 * tick);
        let statuses = policy.evaluate(&calendar, &events, now);
        let first = statuses
            .iter()
            .find(|s| s.target == TargetKind::FirstResponse)
            .unwrap();
        if tick * 5 > 30 {
            assert_eq!(first.state, TargetState::Breached, "minute {}", tick * 5);
        }
        for n in escalator.check(
            &cfg.escalation,
            "c1",
            &statuses,
            Some(team),
            Some(assignee),
            &cfg.executives,
            now,
        ) {
            seen.push((
                n.target,
                n.notify,
                n.recipients.clone(),
                (n.at - t0).num_minutes(),
            ));
        }
    }
    let first: Vec<_> = seen
        .iter()
        .filter(|(t, ..)| *t == TargetKind::FirstResponse)
        .map(|(_, role, who, minute)| (*role, who.join(","), *minute))
        .collect();
    assert_eq!(
        first,
        [
            (Role::Agent, assignee.clone(), 25),
            (Role::Lead, "lars".to_owned(), 30),
            (Role::Executive, "vorstand".to_owned(), 90),
        ]
    );
}
