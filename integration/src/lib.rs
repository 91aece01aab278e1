//! This crate only holds tests (`tests/stack`): they start the real
//! auth-service and realtime-gateway side by side, which no service crate may
//! do (a service never depends on the other service).
