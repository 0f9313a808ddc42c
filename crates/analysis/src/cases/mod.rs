//! Cases: inbound messages that report the same problem, grouped online.
