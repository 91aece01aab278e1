//! W3C trace context on outgoing gRPC calls: every call carries a
//! `traceparent` header whose trace id the gateway logs with the call and
//! the auth-service records in its own span, so one check can be followed
//! across both services' logs.

/// A request for `message` with a fresh `traceparent`; returns the trace id.
pub fn traced<T>(message: T) -> (tonic::Request<T>, String) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let parent_id = uuid::Uuid::new_v4().simple().to_string();
    let mut request = tonic::Request::new(message);
    // Version 00, sampled; the parent id is 8 bytes (16 hex digits).
    let header = format!("00-{trace_id}-{}-01", &parent_id[..16]);
    if let Ok(value) = header.parse() {
        request.metadata_mut().insert("traceparent", value);
    }
    (request, trace_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_a_valid_traceparent_with_the_returned_trace_id() {
        let (request, trace_id) = traced(());
        let header = request
            .metadata()
            .get("traceparent")
            .unwrap()
            .to_str()
            .unwrap();
        let parts: Vec<&str> = header.split('-').collect();
        assert_eq!(parts.len(), 4, "{header}");
        assert_eq!((parts[0], parts[3]), ("00", "01"));
        assert_eq!(parts[1], trace_id);
        assert_eq!((parts[1].len(), parts[2].len()), (32, 16));
        assert!(header.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_ne!(traced(()).1, trace_id, "a new trace per call");
    }
}
