//! Who we tell: alerts and escalations POSTed as JSON to webhooks, signed with HMAC-SHA256.
