//! step_many
